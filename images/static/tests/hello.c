#include <stdio.h>
#include <unistd.h>

int main(void) {
	printf("hello from static C as uid %d\n", (int)getuid());
	return 0;
}
