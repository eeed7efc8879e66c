/* Linux 6.17's multi-VMA mremap move: MREMAP_MAYMOVE|MREMAP_FIXED with old len = new len over areas
 * and holes (the holes are kept, and the target's pages across from them stay mapped); a range that
 * starts in a hole (EFAULT); lengths that differ across two areas, growing and shrinking (EFAULT). */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>
#define P 4096UL
static char *at(char *a, unsigned long len, int prot) {
    char *p = mmap(a, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (prot & PROT_WRITE) memset(p, 7, len);
    return p;
}
int main(void) {
    char *base = mmap(0, 64 * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(base, 64 * P);
    char *s = base, *t = base + 32 * P;
    int fx = MREMAP_MAYMOVE | MREMAP_FIXED;
    /* A (rw), a hole, B (r) onto one rw target area */
    at(s, 2 * P, PROT_READ | PROT_WRITE);
    at(s + 3 * P, 2 * P, PROT_READ);
    at(t, 5 * P, PROT_READ | PROT_WRITE);
    mremap(s, 5 * P, 5 * P, fx, t);
    munmap(t, 8 * P);
    /* a range that ends in a hole */
    at(s, 2 * P, PROT_READ | PROT_WRITE);
    at(t, 5 * P, PROT_READ);
    mremap(s, 3 * P, 3 * P, fx, t);
    munmap(t, 8 * P);
    /* a hole at the start: EFAULT */
    at(s + P, 2 * P, PROT_READ | PROT_WRITE);
    mremap(s, 3 * P, 3 * P, fx, t);
    munmap(s, 8 * P);
    /* from the middle of A to the middle of B */
    at(s, 3 * P, PROT_READ | PROT_WRITE);
    at(s + 3 * P, 3 * P, PROT_READ);
    mremap(s + P, 4 * P, 4 * P, fx, t);
    /* lengths that differ across two areas: EFAULT growing and shrinking */
    at(s + 8 * P, 2 * P, PROT_READ | PROT_WRITE);
    at(s + 10 * P, 2 * P, PROT_READ);
    mremap(s + 8 * P, 4 * P, 5 * P, fx, t + 8 * P);
    mremap(s + 8 * P, 4 * P, 3 * P, fx, t + 8 * P);
    /* A, hole, B, hole onto a target with pages across from both holes */
    at(s + 16 * P, P, PROT_READ | PROT_WRITE);
    at(s + 18 * P, P, PROT_READ | PROT_WRITE);
    at(t + 16 * P, 4 * P, PROT_READ);
    mremap(s + 16 * P, 4 * P, 4 * P, fx, t + 16 * P);
    return 0;
}
