#include "maps.h"
int main(void) {
    char *a, *b;
    a = M(0x5a000000, 3*P, PROT_READ|PROT_WRITE, 0);
    mlock(a + P, P); munlock(a + P, P);
    maps("N mlock middle (populates), munlock", 0x5a000000, 0x5a003000);
    mprotect(a, 3*P, PROT_READ);
    maps("N then R", 0x5a000000, 0x5a003000);
    /* copy_vma: unwritten area moved right before a written one */
    a = M(0x5b001000, P, PROT_READ|PROT_WRITE, 0); a[0] = 1;
    b = M(0x5b100000, P, PROT_READ|PROT_WRITE, 0);
    mremap(b, P, P, MREMAP_MAYMOVE|MREMAP_FIXED, (void*)0x5b000000);
    maps("O unwritten moved before written", 0x5b000000, 0x5b002000);
    /* DONTUNMAP partial of written area, then mprotect R of the whole old area next to R */
    M(0x5c000000, P, PROT_READ, 0);
    a = M(0x5c001000, 2*P, PROT_READ|PROT_WRITE, 0); a[0] = 1;
    mremap(a, 2*P, 2*P, MREMAP_MAYMOVE|MREMAP_FIXED|MREMAP_DONTUNMAP, (void*)0x5c100000);
    mprotect(a, 2*P, PROT_READ);
    maps("Q dontunmap whole written, old R next to R", 0x5c000000, 0x5c003000);
    /* forked child: DONTUNMAP whole forked area; old area without anon; mmap next */
    a = M(0x5d000000, P, PROT_READ|PROT_WRITE, 0); a[0] = 1;
    if (fork() == 0) {
        mremap(a, P, P, MREMAP_MAYMOVE|MREMAP_FIXED|MREMAP_DONTUNMAP, (void*)0x5d100000);
        M(0x5d001000, P, PROT_READ|PROT_WRITE, 0);
        maps("T child dontunmap forked whole, mmap next", 0x5d000000, 0x5d002000);
        M(0x5d102000, P, PROT_READ|PROT_WRITE, 0);
        mremap((void*)0x5d100000, P, 2*P, 0);
        maps("T child moved forked grown to unwritten", 0x5d100000, 0x5d103000);
        _exit(0);
    }
    wait(NULL);
    return 0;
}
