/* mseal on Linux 6.18 (replayed since 2026-12-01; docs/linux/mseal.c is the same cases with the
 * layouts printed): the argument errnos, a hole (ENOMEM, nothing sealed), splits and merges, and what
 * a sealed area refuses: munmap, MAP_FIXED over it, mprotect (the area before it changed), mremap of
 * it or onto it (a multi-area move stops at it, a FIXED shrink's target goes first), brk's shrink,
 * and the discarding advice on read-only private anonymous memory (shared anonymous memory and a
 * private file mapping let it through); a fork's child inherits the seal. strace 6.1 prints mseal as
 * syscall_0x1ce. Exits with 0 when every value read back is as expected. */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#ifndef SYS_mseal
#define SYS_mseal 462
#endif
#define P 4096L
#define RW (PROT_READ | PROT_WRITE)
static char *w;
static long ms(void *a, long len, long f) { return syscall(SYS_mseal, a, len, f); }
static char *at(int page, int n, int prot) {
    return mmap(w + page * P, n * P, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
}
int main(void) {
    int bad = 0;
    w = mmap(0, 256 * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(w, 256 * P);
    char *a = at(0, 4, RW);
    munmap(a + 2 * P, P);
    ms(a, P, 1);
    ms(a + 1, P, 0);
    ms(a, 0, 0);
    ms(a, -1L, 0);
    ms(a, 4 * P, 0);
    ms(a, P + 1, 0);
    ms(a, 2 * P, 0);
    char *b = at(8, 5, RW);
    ms(b + 2 * P, P, 0);
    ms(b + P, P, 0);
    b[P] = 7;
    munmap(b, P);
    munmap(b + P, P);
    munmap(b, 5 * P);
    munmap(b + 3 * P, 2 * P);
    mmap(b + P, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    mmap(b + P, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    bad += b[P] != 7;
    char *c = at(16, 3, RW);
    at(19, 1, PROT_READ);
    ms(c + 3 * P, P, 0);
    munmap(c + P, 3 * P);
    mmap(c + P, 3 * P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    mremap(c, 4 * P, P, 0);
    char *m = at(24, 3, RW);
    ms(m + P, P, 0);
    mprotect(m, 3 * P, PROT_READ);
    mprotect(m + P, P, RW);
    char *g = at(32, 1, RW);
    ms(g, P, 0);
    mremap(g, P, 2 * P, 0);
    mremap(g, P, 2 * P, MREMAP_MAYMOVE);
    mremap(g, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, g + 2 * P);
    mremap(g, 4 * P, 4 * P, MREMAP_MAYMOVE);
    mremap(g, 0, P, MREMAP_MAYMOVE);
    char *k = at(40, 1, RW);
    k[0] = 3;
    mremap(k, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, g);
    bad += k[0] != 3;
    char *x = at(48, 1, RW);
    at(49, 1, PROT_READ);
    ms(x + P, P, 0);
    x[0] = 9;
    mremap(x, 2 * P, P, 0);
    mremap(x, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, w + 56 * P);
    bad += w[56 * P] != 9;
    char *z = at(64, 2, RW);
    at(66, 1, PROT_READ);
    ms(z + 2 * P, P, 0);
    at(72, 1, RW);
    mremap(z, 3 * P, P, MREMAP_MAYMOVE | MREMAP_FIXED, w + 72 * P);
    char *r = at(80, 4, RW);
    r[0] = 1; r[P] = 2; r[2 * P] = 3;
    mprotect(r + P, P, PROT_READ);
    ms(r, 2 * P, 0);
    madvise(r, P, MADV_DONTNEED);
    madvise(r + P, P, MADV_DONTNEED);
    madvise(r + P, P, MADV_FREE);
    madvise(r + P, P, MADV_DONTFORK);
    madvise(r + P, P, MADV_RANDOM);
    r[0] = 5;
    madvise(r, 3 * P, MADV_DONTNEED);
    bad += r[0] != 0 || r[P] != 2 || r[2 * P] != 3;
    madvise(r, 2 * P, MADV_WIPEONFORK);
    char *sa = mmap(w + 88 * P, P, PROT_READ, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    ms(sa, P, 0);
    madvise(sa, P, MADV_DONTNEED);
    int fd = memfd_create("sealed", 0);
    ftruncate(fd, P);
    char *pf = mmap(w + 92 * P, P, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
    ms(pf, P, 0);
    madvise(pf, P, MADV_DONTNEED);
    char *h0 = sbrk(0);
    char *hs = (char *)(((unsigned long)h0 + P - 1) & ~(P - 1));
    brk(hs + 3 * P);
    ms(hs, P, 0);
    brk(hs);
    brk(hs + P);
    brk(hs + 4 * P);
    brk(hs + P);
    pid_t pid = fork();
    if (pid == 0) {
        munmap(a, P);
        _exit(a[0]);
    }
    int st;
    waitpid(pid, &st, 0);
    return bad;
}
