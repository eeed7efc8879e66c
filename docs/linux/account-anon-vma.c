#include "account-anon-vma/maps.h"
/* Build and run: gcc -O1 -o /tmp/acct docs/linux/account-anon-vma.c && /tmp/acct (output: account-anon-vma.out, then uname -r) */
int main(void) {
    /* 1: growsdown stacks; hi grows to lo's end; mprotect R over both */
    char *lo = mmap((void*)0x40000000, P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED|MAP_GROWSDOWN, -1, 0);
    char *hi = mmap((void*)(0x40000000 + 2*P), P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED|MAP_GROWSDOWN, -1, 0);
    hi[-8] = 7;
    maps("1 grown", 0x40000000, 0x40003000);
    mprotect(lo, 3*P, PROT_READ);
    maps("1 mprotect R (lo untouched)", 0x40000000, 0x40003000);
    /* 1b: same with lo touched */
    lo = mmap((void*)0x41000000, P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED|MAP_GROWSDOWN, -1, 0);
    hi = mmap((void*)(0x41000000 + 2*P), P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED|MAP_GROWSDOWN, -1, 0);
    lo[0] = 1; hi[-8] = 7;
    mprotect(lo, 3*P, PROT_READ);
    maps("1b mprotect R (both touched)", 0x41000000, 0x41003000);
    /* 2: untouched RW -> R next to R */
    char *a = mmap((void*)0x42000000, P, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
    char *b = mmap((void*)0x42001000, P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
    mprotect(b, P, PROT_READ);
    maps("2 untouched RW->R next to R", 0x42000000, 0x42002000);
    /* 3: written RW -> R next to R */
    a = mmap((void*)0x43000000, P, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
    b = mmap((void*)0x43001000, P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
    b[0] = 1;
    mprotect(b, P, PROT_READ);
    maps("3 written RW->R next to R", 0x43000000, 0x43002000);
    /* 4: reserve/commit/write/decommit */
    a = mmap((void*)0x44000000, 4*P, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
    mprotect(a + P, P, PROT_READ|PROT_WRITE);
    maps("4 commit", 0x44000000, 0x44004000);
    a[P] = 1;
    mprotect(a + P, P, PROT_NONE);
    maps("4 written, decommit", 0x44000000, 0x44004000);
    mprotect(a + 2*P, P, PROT_READ|PROT_WRITE);
    mprotect(a + 2*P, P, PROT_NONE);
    maps("4 unwritten commit/decommit of the next page", 0x44000000, 0x44004000);
    /* 5: private file RW -> R next to R (contiguous offsets) */
    int fd = open("/tmp/acct/file", O_RDWR|O_CREAT|O_TRUNC, 0600); ftruncate(fd, 4*P);
    a = mmap((void*)0x45000000, P, PROT_READ, MAP_PRIVATE|MAP_FIXED, fd, 0);
    b = mmap((void*)0x45001000, P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED, fd, P);
    maps("5 file R | RW", 0x45000000, 0x45002000);
    mprotect(b, P, PROT_READ);
    maps("5 file RW->R (unwritten)", 0x45000000, 0x45002000);
    /* 6: mremap move untouched anon right after itself; and touched */
    a = mmap((void*)0x46000000, 2*P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
    b = mmap((void*)0x46100000, P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
    mremap(b, P, P, MREMAP_MAYMOVE|MREMAP_FIXED, a + 2*P);
    maps("6 untouched moved after", 0x46000000, 0x46003000);
    a = mmap((void*)0x47000000, 2*P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
    b = mmap((void*)0x47100000, P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
    b[0] = 1;
    mremap(b, P, P, MREMAP_MAYMOVE|MREMAP_FIXED, a + 2*P);
    maps("6b touched moved after", 0x47000000, 0x47003000);
    /* 7: two areas, separate by madvise DONTDUMP, each written -> DODUMP: own anon_vmas? */
    a = mmap((void*)0x48000000, 2*P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
    madvise(a + P, P, MADV_DONTDUMP);
    a[0] = 1; a[P] = 1;
    madvise(a + P, P, MADV_DODUMP);
    maps("7 dontdump split, both written, dodump", 0x48000000, 0x48002000);
    a = mmap((void*)0x49000000, 2*P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
    madvise(a + P, P, MADV_DONTDUMP);
    a[P] = 1; a[0] = 1;
    madvise(a + P, P, MADV_DODUMP);
    maps("7b same, other order", 0x49000000, 0x49002000);
    /* 8: read-only faulted anon then mprotect */
    a = mmap((void*)0x4a000000, P, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
    b = mmap((void*)0x4a001000, P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
    volatile char c = b[0]; (void)c;
    mprotect(b, P, PROT_READ);
    maps("8 read-faulted RW->R next to R", 0x4a000000, 0x4a002000);
    /* 9: fork: child's areas that were split in parent by mlock */
    a = mmap((void*)0x4b000000, 2*P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
    a[0] = 1; a[P] = 1;
    mlock(a, P);
    b = mmap((void*)0x4c000000, 2*P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
    mlock(b, P);
    maps("9 parent", 0x4b000000, 0x4c002000);
    fflush(stdout);
    if (fork() == 0) {
        maps("9 child", 0x4b000000, 0x4c002000);
        mprotect(a, 2*P, PROT_READ); mprotect(b, 2*P, PROT_READ);
        maps("9 child after mprotect R both", 0x4b000000, 0x4c002000);
        mprotect(a, 2*P, PROT_READ|PROT_WRITE); mprotect(b, 2*P, PROT_READ|PROT_WRITE);
        maps("9 child after mprotect RW", 0x4b000000, 0x4c002000);
        char *m = mmap(a + 2*P, P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
        maps("9 child mmap after written forked", 0x4b000000, 0x4b003000);
        (void)m; fflush(stdout);
        _exit(0);
    }
    wait(NULL);
    /* 10: brk in child after heap written */
    char *h0 = sbrk(0); sbrk(P); h0[0] = 1; 
    fflush(stdout);
    if (fork() == 0) {
        char *h1 = sbrk(0); sbrk(P); maps("10 child heap after brk", (unsigned long)h0 - 0x1000000, (unsigned long)h1 + P);
        fflush(stdout); _exit(0);
    }
    wait(NULL);
    /* 11: MAP_NORESERVE RW next to RW */
    a = mmap((void*)0x4d000000, P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED|MAP_NORESERVE, -1, 0);
    b = mmap((void*)0x4d001000, P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
    maps("11 noreserve RW | RW", 0x4d000000, 0x4d002000);
    /* 12: DONTUNMAP whole untouched/touched then mmap next */
    a = mmap((void*)0x4e000000, 2*P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
    a[0] = 1;
    mremap(a, 2*P, 2*P, MREMAP_MAYMOVE|MREMAP_FIXED|MREMAP_DONTUNMAP, (void*)0x4e100000);
    b = mmap((void*)0x4e002000, P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
    maps("12 dontunmap whole old + new RW next", 0x4e000000, 0x4e003000);
    b[0] = 1;
    mprotect(a, 2*P, PROT_READ); mprotect(a, 2*P, PROT_READ|PROT_WRITE);
    maps("12 after mprotect R,RW of old", 0x4e000000, 0x4e003000);
    /* 13: DONTUNMAP of a whole written area / of a part, then read-only next to a read-only area */
    char *r = mmap((void*)0x4f000000, P, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
    a = mmap((void*)0x4f001000, 2*P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
    a[0] = 1;
    mremap(a, 2*P, 2*P, MREMAP_MAYMOVE|MREMAP_FIXED|MREMAP_DONTUNMAP, (void*)0x4f100000);
    mprotect(a, 2*P, PROT_READ);
    maps("13 dontunmap whole, then R next to R", 0x4f000000, 0x4f003000);
    r = mmap((void*)0x50000000, P, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
    a = mmap((void*)0x50001000, 2*P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
    a[0] = 1;
    mremap(a, P, P, MREMAP_MAYMOVE|MREMAP_FIXED|MREMAP_DONTUNMAP, (void*)0x50100000);
    mprotect(a, 2*P, PROT_READ);
    maps("13b dontunmap part, then R next to R", 0x50000000, 0x50003000);
    /* 14: read all, split by mprotect, write both outer pieces, the middle back to RW */
    a = mmap((void*)0x51000000, 4*P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
    for (int i = 0; i < 4; i++) (void)*(volatile char *)(a + i*P);
    mprotect(a + 2*P, P, PROT_READ);
    a[3*P] = 5; a[0] = 6;
    maps("14 read, split, outer pieces written", 0x51000000, 0x51004000);
    mprotect(a + 2*P, P, PROT_READ|PROT_WRITE);
    maps("14 the middle back to RW", 0x51000000, 0x51004000);
    (void)r;
    return 0;
}
