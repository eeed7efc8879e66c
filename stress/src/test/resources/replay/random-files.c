/* random.c's mix with more in it (2026-12-01): file mappings (shared and private, of an 8-page file and of
 * one of 5 pages and 100 bytes, at offsets 0 to 6 pages: pages past the end), brk up and down,
 * mremap with DONTUNMAP and a hint, 21 kinds of madvise, mlock2 with and without MLOCK_ONFAULT,
 * MADV_POPULATE_READ/WRITE as the loads and stores, and forks whose child makes 20 calls of its own
 * before it exits. The files are /tmp/rsf/eight and /tmp/rsf/short (the replay sizes a named file
 * from this machine's file: ReplayCommandTest makes them first). gcc -O1 -o /tmp/random3;
 * random-files.strace is seed 2 (`/tmp/random3 2`).
 * With a second argument ("flags"; random-flags.strace is `/tmp/random3 1 flags`), more mmap flags
 * and the whole-space lock calls: MAP_DROPPABLE, MAP_POPULATE, MAP_LOCKED, MAP_NORESERVE, MAP_STACK,
 * MAP_GROWSDOWN, hinted (not FIXED) mappings, mlockall (MCL_CURRENT; MCL_FUTURE with and without
 * MCL_ONFAULT), munlockall, and mremap's duplicate of a shared mapping (old_len 0); the other draws
 * are those of the plain mix.
 * With a third argument ("gd"; random-gd.strace is `/tmp/random3 3 flags gd`, 2026-12-01), half the
 * anonymous mappings grow down, mprotect adds PROT_GROWSDOWN (one in four) or PROT_GROWSUP, and half
 * the mseal draws become msync (every flag mix) or mincore (into a buffer, NULL, or the window).
 * Without it the draws are those above, so the traces recorded before stay what the program makes.
 * With a fourth argument ("threads"; random-threads.strace is `/tmp/random3 5 flags gd threads`), two
 * threads make 400 calls each at once (seeds seed * 1000 and seed * 1000 + 1), without forks.
 * gcc -O1 -pthread since then (the single-thread draws are unchanged).
 * With FILL=N in the environment it first maps single pages until the map count is
 * vm.max_map_count less N (random-mapcount.strace: FILL=27 /tmp/random3 19 flags gd, recorded with
 * vm.max_map_count at 1000; replay it with --max-map-count 1000). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>
#include <stdio.h>
#include <pthread.h>
#ifndef SYS_mseal
#define SYS_mseal 462
#endif
#define P 4096L
#define PAGES 64
static __thread unsigned long long state;
static unsigned next(unsigned n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)(state >> 33) % n;
}
static char *w; static int fds[2]; static char *heap; static int more; static int gd; static int threads;
static const int prots[] = {PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC};
static const int advice[] = {MADV_DONTNEED, MADV_FREE, MADV_DONTFORK, MADV_WIPEONFORK, MADV_RANDOM, MADV_NORMAL,
    MADV_WILLNEED, MADV_POPULATE_READ, MADV_POPULATE_WRITE, MADV_DOFORK, MADV_COLD, MADV_PAGEOUT, MADV_SEQUENTIAL,
    MADV_DONTNEED_LOCKED, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_DONTDUMP, MADV_DODUMP, MADV_KEEPONFORK, MADV_MERGEABLE, MADV_UNMERGEABLE};
static void op(void) {
    char *a = w + next(PAGES) * P;
    long len = (1 + next(6)) * P;
    int k = next(50);
    if (k < 6) {
        int flags;
        if (!more) {
            flags = (next(4) == 0 ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | (next(5) == 0 ? MAP_FIXED_NOREPLACE : MAP_FIXED);
        } else {
            static const int types[] = {MAP_SHARED, MAP_PRIVATE, MAP_PRIVATE, 0x08 /* MAP_DROPPABLE */};
            static const int extra[] = {0, 0, 0, MAP_POPULATE, MAP_LOCKED, MAP_NORESERVE, MAP_STACK, MAP_GROWSDOWN, 0};
            flags = types[next(4)] | MAP_ANONYMOUS | extra[next(9)] | (gd && next(2) ? MAP_GROWSDOWN : 0)
                    | (next(5) == 0 ? MAP_FIXED_NOREPLACE : next(8) == 0 ? 0 : MAP_FIXED);
        }
        mmap(a, len, prots[next(5)], flags, -1, 0);
    } else if (k < 10) {
        int flags = (next(2) ? MAP_SHARED : MAP_PRIVATE) | MAP_FIXED;
        mmap(a, len, prots[next(5)], flags, fds[next(2)], next(7) * P);
    } else if (k < 14) {
        munmap(a, len);
    } else if (k < 19) {
        if (!gd) {
            mprotect(a, len, prots[next(5)]);
        } else {
            int g = next(4);
            mprotect(a, len, prots[next(5)] | (g == 0 ? PROT_GROWSDOWN : g == 1 && next(8) == 0 ? PROT_GROWSUP : 0));
        }
    } else if (k < 25) {
        long nlen = (1 + next(6)) * P;
        char *to = w + next(PAGES) * P;
        switch (next(5)) {
            case 0: syscall(SYS_mremap, a, len, nlen, 0, 0); break;
            case 1: syscall(SYS_mremap, a, len, nlen, MREMAP_MAYMOVE, 0); break;
            case 2: syscall(SYS_mremap, a, len, nlen, MREMAP_MAYMOVE | MREMAP_FIXED, to); break;
            case 3: syscall(SYS_mremap, a, len, len, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, to); break;
            default: syscall(SYS_mremap, a, len, len, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, to); break;
        }
    } else if (k < 35) {
        madvise(a, len, advice[next(21)]);
    } else if (k < 37) {
        syscall(SYS_mlock2, a, len, next(2));
    } else if (k < 39) {
        switch (more ? next(6) : 5) {
            case 0: mlockall(MCL_CURRENT); break;
            case 1: mlockall(MCL_FUTURE | (next(2) ? MCL_ONFAULT : 0)); break;
            case 2: munlockall(); break;
            case 3: syscall(SYS_mremap, a, 0, len, MREMAP_MAYMOVE, 0); break;
            default: munlock(a, len); break;
        }
    } else if (k < 43) {
        syscall(SYS_brk, heap + next(12) * P - (next(3) == 0 ? 100 : 0));
    } else if (k < 44) {
        if (gd && next(2)) {
            static unsigned char vec[64];
            static const int ms[] = {MS_ASYNC, MS_SYNC, MS_INVALIDATE, MS_ASYNC | MS_INVALIDATE, MS_SYNC | MS_INVALIDATE, 0};
            if (next(2)) msync(a, len, ms[next(6)]);
            else mincore(a, len, next(4) == 0 ? (unsigned char *)(w + next(PAGES) * P) : next(8) == 0 ? 0 : vec);
        } else {
            syscall(SYS_mseal, a, len, 0);
        }
    } else if (k < 45) {
        if (next(4) == 0 && !threads) {
            pid_t c = fork();
            if (c == 0) {
                for (int i = 0; i < 20; i++) op();
                _exit(0);
            }
            waitpid(c, 0, 0);
        }
    } else {
        /* a store or a load through the kernel, not the CPU: POPULATE */
        madvise(a, P, next(2) ? MADV_POPULATE_WRITE : MADV_POPULATE_READ);
    }
}
static unsigned long long seed;
static void *thread(void *k) {
    state = seed * 1000 + (unsigned long)k;
    for (int i = 0; i < 400; i++) op();
    return 0;
}
int main(int argc, char **argv) {
    seed = state = argc > 1 ? strtoull(argv[1], 0, 10) : 1;
    more = argc > 2;
    gd = argc > 3;
    threads = argc > 4;
    w = mmap(0, (PAGES + 16) * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(w, (PAGES + 16) * P);
    fds[0] = open("/tmp/rsf/eight", O_RDWR | O_CREAT | O_TRUNC, 0600); ftruncate(fds[0], 8 * P);
    fds[1] = open("/tmp/rsf/short", O_RDWR | O_CREAT | O_TRUNC, 0600); ftruncate(fds[1], 5 * P + 100);
    heap = (char *)(((unsigned long)sbrk(0) + P - 1) & ~(P - 1));
    if (getenv("FILL")) {
        /* fill the map count up to vm.max_map_count less FILL areas: single pages, rights alternating */
        int max = 0, n = 0, c;
        FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
        if (f) { if (fscanf(f, "%d", &max) != 1) max = 0; fclose(f); }
        f = fopen("/proc/self/maps", "r");
        while (f && (c = fgetc(f)) != EOF) n += c == '\n';
        if (f) fclose(f);
        for (int i = n + 2; i < max - atoi(getenv("FILL")); i++)
            mmap(0, P, i % 2 ? PROT_READ : PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    }
    if (threads) {
        pthread_t t[2];
        for (long k = 0; k < 2; k++) pthread_create(&t[k], 0, thread, (void *)k);
        for (int k = 0; k < 2; k++) pthread_join(t[k], 0);
        return 0;
    }
    for (int i = 0; i < 600; i++) op();
    return 0;
}
