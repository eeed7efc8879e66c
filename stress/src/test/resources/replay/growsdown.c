#define _GNU_SOURCE
#include <sys/mman.h>
#include <unistd.h>
#define P 4096UL
#define M (1UL << 20)
int main(void) {
    char *r = mmap(0, 4 * M, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(r + M, 2 * M);
    char *g = mmap(r + 2 * M, 2 * P, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN, -1, 0);
    g[-1] = 1;            /* the area grows down by a page */
    g[-3 * P] = 1;        /* and by three more */
    return 0;
}
