#include <stdio.h>
#include <unistd.h>

int main(void) {
	printf("hello from C as uid %d\n", (int)getuid());
	return 0;
}
