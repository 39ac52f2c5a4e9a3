#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_name(const void *a, const void *b) { return strcmp(*(const char **)a, *(const char **)b); }

int main(void) {
    const char *birds[] = {"wren", "tit", "robin"};
    qsort(birds, 3, sizeof birds[0], by_name);
    printf("3 birds: %s, %s, %s\n", birds[0], birds[1], birds[2]);
    return 0;
}
