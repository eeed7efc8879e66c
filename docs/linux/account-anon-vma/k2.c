#include "maps.h"
int main(void) {
    /* C: MADV_HUGEPAGE on both; read fault in the 2 MiB-aligned RW one */
    char *lo = M(0x5fe00000, 2<<20, PROT_READ, 0);
    char *a = M(0x60000000, 2<<20, PROT_READ|PROT_WRITE, 0);
    madvise(lo, 4<<20, MADV_HUGEPAGE);
    maps("C before", 0x5fe00000, 0x60200000);
    volatile char x = a[0]; (void)x;
    mprotect(a, 2<<20, PROT_READ);
    maps("C hugepage read-faulted RW->R next to R", 0x5fe00000, 0x60200000);
    /* same without HUGEPAGE */
    lo = M(0x61e00000, 2<<20, PROT_READ, 0);
    a = M(0x62000000, 2<<20, PROT_READ|PROT_WRITE, 0);
    x = a[0];
    mprotect(a, 2<<20, PROT_READ);
    maps("C' no hugepage", 0x61e00000, 0x62200000);
    /* A2: forked written area grown in place to unwritten next, also mprotect after */
    a = M(0x63000000, P, PROT_READ|PROT_WRITE, 0); a[0] = 1;
    if (fork() == 0) {
        M(0x63002000, P, PROT_READ|PROT_WRITE, 0);
        mremap(a, P, 2*P, 0);
        maps("A2 child grown", 0x63000000, 0x63003000);
        _exit(0);
    }
    wait(NULL);
    return 0;
}
