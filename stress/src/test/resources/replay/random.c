/* A seeded random mix of the layout calls in a 64-page window (2026-12-01): mmap (FIXED, FIXED_NOREPLACE,
 * private and shared anonymous memory, four rights), munmap, mprotect, mremap (in place, MAYMOVE,
 * FIXED, FIXED|DONTUNMAP), madvise (DONTNEED, FREE, DONTFORK, WIPEONFORK, RANDOM, NORMAL, WILLNEED,
 * POPULATE_READ, POPULATE_WRITE), mlock, munlock and mseal (1 call in 40, so that the window does not
 * freeze), each result ignored: the replay compares them all with the kernel's, and --maps the
 * window's final layout. Areas meet, split, merge, and are refused by seals and by each other.
 * gcc -O1; argv[1] is the seed (random.strace: 1). With a second argument ("edge"; random-edge.strace:
 * seed 10) some addresses are unaligned, some lengths unaligned, 0 or near 2^47 and 2^48, mremap's
 * old length sometimes 0, GROWSDOWN sometimes set, and one call in eight an mseal; the other draws are
 * those of the plain mix. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifndef SYS_mseal
#define SYS_mseal 462
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif
#define P 4096L
#define PAGES 64
static unsigned long long state;
static unsigned next(unsigned n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)(state >> 33) % n;
}
int main(int argc, char **argv) {
    state = argc > 1 ? strtoull(argv[1], 0, 10) : 1;
    const int edge = argc > 2;
    char *w = mmap(0, (PAGES + 16) * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(w, (PAGES + 16) * P);
    static const int prots[] = {PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC};
    static const int advice[] = {MADV_DONTNEED, MADV_FREE, MADV_DONTFORK, MADV_WIPEONFORK, MADV_RANDOM, MADV_NORMAL,
                                 MADV_WILLNEED, MADV_POPULATE_READ, MADV_POPULATE_WRITE, MADV_DOFORK};
    for (int i = 0; i < 600; i++) {
        char *a = w + next(PAGES) * P + (edge && next(20) == 0 ? 100 : 0);
        long len = !edge ? (1 + next(6)) * P
                   : next(12) == 0 ? (long)next(3) * 0x7fffffffffffL : (long)next(7) * P - (next(6) == 0 ? 50 : 0);
        int k = next(40);
        if (edge && next(8) == 0) {
            k = 39;
        }
        if (k < 9) {
            int flags = (next(4) == 0 ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | (edge && next(10) == 0 ? MAP_GROWSDOWN : 0)
                        | (next(5) == 0 ? MAP_FIXED_NOREPLACE : MAP_FIXED);
            mmap(a, len, prots[next(5)], flags, -1, 0);
        } else if (k < 14) {
            munmap(a, len);
        } else if (k < 20) {
            mprotect(a, len, prots[next(5)]);
        } else if (k < 26) {
            long nlen = (1 + next(6)) * P;
            char *to = w + next(PAGES) * P;
            switch (next(4)) {
                case 0:
                    if (edge) {
                        syscall(SYS_mremap, a, next(3) == 0 ? 0 : len, nlen, next(2) ? MREMAP_MAYMOVE : 0, 0);
                    } else {
                        syscall(SYS_mremap, a, len, nlen, 0, 0);
                    }
                    break;
                case 1: syscall(SYS_mremap, a, len, nlen, MREMAP_MAYMOVE, 0); break;
                case 2: syscall(SYS_mremap, a, len, nlen, MREMAP_MAYMOVE | MREMAP_FIXED, to); break;
                default: syscall(SYS_mremap, a, len, len, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, to); break;
            }
        } else if (k < 35) {
            madvise(a, len, advice[next(10)]);
        } else if (k < 37) {
            mlock(a, len);
        } else if (k < 39) {
            munlock(a, len);
        } else {
            syscall(SYS_mseal, a, len, 0);
        }
    }
    return 0;
}
