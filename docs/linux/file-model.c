/* The real kernel's answers for the file-mapping linearizability harness's sequential model
 * (fault/.../check/FileSpaceModel.java, harness FileLinearizability.java): a memfd of 3 pages, a
 * 4-page window whose pages 0-1 map it shared and pages 2-3 private, both at offset 0.
 * Build and run: gcc -O1 -o /tmp/file-model docs/linux/file-model.c &&
 *   /tmp/file-model < fault/src/test/resources/file-model/sequences.txt
 * (output: fault/src/test/resources/file-model/sequences.kernel.out, on 6.18.44; FileModelKernelTest
 * compares the model and every design with it). Sequences: the first 64 lines are hand-picked cases
 * (30, then 18 of mremap, then 16 of ftruncate), the rest random ones in the harness's parameter
 * ranges from `python3 docs/linux/file-model-sequences.py 3 936` (with ftruncate). The model also
 * gave the kernel's answer to all of `file-model-sequences.py 1 300000` (2026-11-30).
 *
 * Real-kernel driver for FileSpaceModel's setup. Reads sequences from stdin, one per line,
 * ops separated by ';':  S page pages prot pgoff | P page pages prot pgoff | U page pages |
 * M page pages prot | D page pages | X page to | Y page to | L page | W page value | R pgoff |
 * F pgoff value | T pages
 * (S=mmapShared P=mmapPrivate U=munmap M=mprotect D=madvise DONTNEED X=mremap of one page,
 * MAYMOVE|FIXED Y=the same with DONTUNMAP L=load W=store R=pread F=pwrite T=ftruncate)
 * Prints the results, space separated, one line per sequence. SEGV=-1001, SIGBUS=-1002, a pread of
 * nothing (at or past the end) -1003, errors -errno. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096L
#define PAGES 4
#define FILE_PAGES 3
#define WINDOW (0x40200000UL - 2 * PG)
#define SEGV (-1001L)
#define BUS (-1002L)

static sigjmp_buf jb;
static volatile sig_atomic_t lastsig;
static int fd = -1;

static void handler(int sig) { lastsig = sig; siglongjmp(jb, 1); }

static int prot(int c) { return c == 0 ? PROT_NONE : c == 1 ? PROT_READ : PROT_READ | PROT_WRITE; }
static char *addr(int page) { return (char *)(WINDOW + page * PG); }
static size_t len(int page, int pages) { int n = PAGES - page; return (size_t)(pages < n ? pages : n) * PG; }
static long sys(long r) { return r < 0 ? -errno : 0; }

static void setup(void) {
    munmap((void *)WINDOW, PAGES * PG);
    if (fd >= 0) close(fd);
    fd = memfd_create("lin", 0);
    if (fd < 0 || ftruncate(fd, FILE_PAGES * PG)) { perror("memfd"); exit(1); }
    void *r = mmap((void *)WINDOW, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
    void *p = mmap((void *)(WINDOW + 2 * PG), 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0);
    if (r != (void *)WINDOW || p != (void *)(WINDOW + 2 * PG)) { perror("initial mmap"); exit(1); }
}

static long load(int page) {
    volatile int64_t *a = (volatile int64_t *)addr(page);
    if (sigsetjmp(jb, 1)) return lastsig == SIGSEGV ? SEGV : lastsig == SIGBUS ? BUS : -9999;
    return *a;
}
static long store(int page, long v) {
    volatile int64_t *a = (volatile int64_t *)addr(page);
    if (sigsetjmp(jb, 1)) return lastsig == SIGSEGV ? SEGV : lastsig == SIGBUS ? BUS : -9999;
    *a = v;
    return 0;
}

int main(void) {
    struct sigaction sa; memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler; sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, 0); sigaction(SIGBUS, &sa, 0);
    /* make sure the window is free before taking it */
    void *probe = mmap((void *)WINDOW, PAGES * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (probe != (void *)WINDOW) { perror("window busy"); return 1; }
    char line[8192];
    while (fgets(line, sizeof line, stdin)) {
        setup();
        char *save, *op = strtok_r(line, ";\n", &save);
        int first = 1;
        for (; op; op = strtok_r(0, ";\n", &save)) {
            char c; int a = 0, b = 0, p = 0, o = 0; long r = 0;
            while (*op == ' ') op++;
            if (!*op) continue;
            sscanf(op, "%c %d %d %d %d", &c, &a, &b, &p, &o);
            switch (c) {
            case 'S': r = sys((long)mmap(addr(a), len(a, b), prot(p), MAP_SHARED | MAP_FIXED, fd, o * PG)); break;
            case 'P': r = sys((long)mmap(addr(a), len(a, b), prot(p), MAP_PRIVATE | MAP_FIXED, fd, o * PG)); break;
            case 'U': r = sys(munmap(addr(a), len(a, b))); break;
            case 'M': r = sys(mprotect(addr(a), len(a, b), prot(p))); break;
            case 'D': r = sys(madvise(addr(a), len(a, b), MADV_DONTNEED)); break;
            case 'X': r = sys((long)mremap(addr(a), PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, addr(b))); break;
            case 'Y': r = sys((long)mremap(addr(a), PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, addr(b))); break;
            case 'L': r = load(a); break;
            case 'W': r = store(a, b); break;
            case 'R': { int64_t v = 0; long n = pread(fd, &v, 8, a * PG); r = n == 8 ? v : n == 0 ? -1003 : -errno; break; }
            case 'F': { int64_t v = b; r = pwrite(fd, &v, 8, a * PG) == 8 ? 0 : -errno; break; }
            case 'T': r = sys(ftruncate(fd, a * PG)); break;
            default: fprintf(stderr, "bad op %s\n", op); return 1;
            }
            printf(first ? "%ld" : " %ld", r); first = 0;
        }
        printf("\n"); fflush(stdout);
    }
    return 0;
}
