#include "maps.h"
int main(void) {
    char *a, *b, *c;
    /* A: forked written area grows in place (vma_merge_extend) up to an unwritten area with contiguous pgoff */
    a = M(0x50000000, P, PROT_READ|PROT_WRITE, 0); a[0] = 1;
    /* B: forked written area, moved away then back before an unwritten contiguous area */
    b = M(0x51000000, P, PROT_READ|PROT_WRITE, 0); b[0] = 1;
    /* L: unforked (parent) same as A */
    if (fork() == 0) {
        c = M(0x50002000, P, PROT_READ|PROT_WRITE, 0);
        maps("A child before grow", 0x50000000, 0x50003000);
        void *r = mremap(a, P, 2*P, 0);
        printf("A mremap=%p\n", r);
        maps("A child forked written grown in place to unwritten next", 0x50000000, 0x50003000);
        r = mremap(b, P, P, MREMAP_MAYMOVE|MREMAP_FIXED, (void*)0x51100000);
        c = M(0x51001000, P, PROT_READ|PROT_WRITE, 0);
        r = mremap((void*)0x51100000, P, P, MREMAP_MAYMOVE|MREMAP_FIXED, (void*)0x51000000);
        printf("B mremap=%p\n", r);
        maps("B child forked written moved before unwritten contiguous", 0x51000000, 0x51002000);
        _exit(0);
    }
    wait(NULL);
    a = M(0x52000000, P, PROT_READ|PROT_WRITE, 0); a[0] = 1;
    c = M(0x52002000, P, PROT_READ|PROT_WRITE, 0);
    mremap(a, P, 2*P, 0);
    maps("L parent written grown in place to unwritten next", 0x52000000, 0x52003000);
    /* M: unwritten grows in place to written next (contiguous) */
    a = M(0x53000000, P, PROT_READ|PROT_WRITE, 0);
    c = M(0x53002000, P, PROT_READ|PROT_WRITE, 0); c[0] = 1;
    mremap(a, P, 2*P, 0);
    maps("M unwritten grown in place to written next", 0x53000000, 0x53003000);
    /* D: MAP_FIXED over middle of written area */
    a = M(0x54000000, 3*P, PROT_READ|PROT_WRITE, 0); a[0] = 1;
    M(0x54001000, P, PROT_READ|PROT_WRITE, 0);
    maps("D MAP_FIXED over middle of written", 0x54000000, 0x54003000);
    /* C: MADV_HUGEPAGE read fault */
    a = M(0x60000000, 4<<20, PROT_READ|PROT_WRITE, 0);
    madvise(a, 4<<20, MADV_HUGEPAGE);
    M(0x5fe00000, 2<<20, PROT_READ, 0);
    volatile char x = a[0]; (void)x;
    mprotect(a, 4<<20, PROT_READ);
    maps("C hugepage read-faulted RW->R next to R", 0x5fe00000, 0x60400000);
    /* F: MAP_POPULATE on RW / R anon, then mprotect R next to R */
    M(0x55000000, P, PROT_READ, 0);
    a = M(0x55001000, P, PROT_READ|PROT_WRITE, MAP_POPULATE);
    mprotect(a, P, PROT_READ);
    maps("F populate RW -> R next to R", 0x55000000, 0x55002000);
    M(0x55100000, P, PROT_READ, 0);
    a = M(0x55101000, P, PROT_READ, MAP_POPULATE);
    mprotect(a, P, PROT_READ|PROT_WRITE); mprotect(a, P, PROT_READ);
    maps("F populate R, then RW, R next to R", 0x55100000, 0x55102000);
    /* R: MADV_POPULATE_READ on RW */
    M(0x55200000, P, PROT_READ, 0);
    a = M(0x55201000, P, PROT_READ|PROT_WRITE, 0);
    printf("popread=%d\n", madvise(a, P, MADV_POPULATE_READ));
    mprotect(a, P, PROT_READ);
    maps("R populate_read RW -> R next to R", 0x55200000, 0x55202000);
    M(0x55300000, P, PROT_READ, 0);
    a = M(0x55301000, P, PROT_READ|PROT_WRITE, 0);
    printf("popwrite=%d\n", madvise(a, P, MADV_POPULATE_WRITE));
    mprotect(a, P, PROT_READ);
    maps("R populate_write RW -> R next to R", 0x55300000, 0x55302000);
    /* mlock RW unwritten, munlock, mprotect R */
    M(0x55400000, P, PROT_READ, 0);
    a = M(0x55401000, P, PROT_READ|PROT_WRITE, 0);
    mlock(a, P); munlock(a, P);
    mprotect(a, P, PROT_READ);
    maps("mlock RW -> munlock -> R next to R", 0x55400000, 0x55402000);
    /* I: DONTNEED then mprotect */
    M(0x56000000, P, PROT_READ, 0);
    a = M(0x56001000, P, PROT_READ|PROT_WRITE, 0); a[0] = 1;
    madvise(a, P, MADV_DONTNEED);
    mprotect(a, P, PROT_READ);
    maps("I written, DONTNEED, R next to R", 0x56000000, 0x56002000);
    /* H: fork, parent area unwritten, child writes, then mprotect R next to R */
    M(0x57000000, P, PROT_READ, 0);
    a = M(0x57001000, P, PROT_READ|PROT_WRITE, 0);
    if (fork() == 0) {
        a[0] = 1; mprotect(a, P, PROT_READ);
        maps("H child writes unforked area, R next to R", 0x57000000, 0x57002000);
        /* child: write in an area next to a forked one: reuse? */
        _exit(0);
    }
    wait(NULL);
    /* K: mprotect across several areas some written */
    a = M(0x58000000, P, PROT_READ|PROT_WRITE, 0);
    b = M(0x58001000, P, PROT_READ|PROT_WRITE, MAP_NORESERVE);
    c = M(0x58002000, P, PROT_READ|PROT_WRITE, 0); c[0] = 1;
    M(0x58003000, P, PROT_READ|PROT_WRITE, MAP_NORESERVE);
    mprotect(a, 4*P, PROT_READ);
    maps("K mprotect R over [unw|noreserve|written|noreserve]", 0x58000000, 0x58004000);
    /* G: private file written then mprotect R next to R file */
    int fd = open("/tmp/acct/file2", O_RDWR|O_CREAT|O_TRUNC, 0600); ftruncate(fd, 4*P);
    a = mmap((void*)0x59000000, P, PROT_READ, MAP_PRIVATE|MAP_FIXED, fd, 0);
    b = mmap((void*)0x59001000, P, PROT_READ, MAP_PRIVATE|MAP_FIXED, fd, P);
    maps("G file R|R", 0x59000000, 0x59002000);
    mprotect(b, P, PROT_READ|PROT_WRITE); b[0] = 1; mprotect(b, P, PROT_READ);
    maps("G file R|written R", 0x59000000, 0x59002000);
    /* brk */
    char *h0 = sbrk(0); sbrk(4*P); h0[0] = 1;
    maps("E heap grown", (unsigned long)h0 - 0x1000000, (unsigned long)h0 + 8*P);
    sbrk(-2*(long)P); sbrk(3*P);
    maps("E heap shrink/grow", (unsigned long)h0 - 0x1000000, (unsigned long)h0 + 8*P);
    return 0;
}
