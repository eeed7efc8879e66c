/* Argument and layout cases of mremap and brk, Linux 6.18: a new length above TASK_SIZE is EINVAL
 * before the old range is looked up (with or without MAYMOVE, on a hole too); old_len 0 duplicates a
 * shared mapping (ENOMEM without MAYMOVE: it cannot grow in place; MAYMOVE and FIXED place a second
 * mapping of the same pages) and is EINVAL on a private one; a brk shrink with no area in
 * [new break, old break) leaves the break, and one over an area mapped where the heap was unmaps it.
 * Then calls that are not modelled but change the layout: madvise advice that sets a vm_flags bit
 * (splits the area), mprotect with PROT_GROWSDOWN (from the area's start), mseal (later calls: EPERM):
 * their ranges become unknown; pkey_mprotect with key -1 is mprotect. */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifndef SYS_mseal
#define SYS_mseal 462
#endif
#define P 4096L
#define BIG (1L << 47)
int main(void) {
    char *base = mmap(0, 64 * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(base, 64 * P);
    char *s = mmap(base, 2 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    s[0] = 7;
    mremap(s, P, BIG, MREMAP_MAYMOVE);
    mremap(base + 40 * P, P, BIG, 0);
    mremap(s, 0, 2 * P, 0);
    char *d = mremap(s, 0, 2 * P, MREMAP_MAYMOVE);
    d[P] = 8;
    mremap(s + P, 0, P, MREMAP_MAYMOVE | MREMAP_FIXED, base + 20 * P);
    char *p = mmap(base + 30 * P, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    mremap(p, 0, P, MREMAP_MAYMOVE);
    mremap(base + 40 * P, 0, P, MREMAP_MAYMOVE);
    char *b0 = (char *)syscall(SYS_brk, 0);
    syscall(SYS_brk, b0 + 2 * P);
    munmap(b0, 2 * P);
    syscall(SYS_brk, b0 + P);
    mmap(b0 + P, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    syscall(SYS_brk, b0 + P);
    char *r = mmap(base + 44 * P, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    madvise(r + 2 * P, 2 * P, MADV_RANDOM);
    mremap(r, 4 * P, 6 * P, 0);
    char *g = mmap(base + 52 * P, 4 * P, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN, -1, 0);
    mprotect(g + 2 * P, P, PROT_READ | PROT_GROWSDOWN);
    munmap(g, 4 * P);
    char *k = mmap(base + 56 * P, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    syscall(SYS_pkey_mprotect, k + 2 * P, 2 * P, PROT_READ, -1);
    mremap(k, 4 * P, 6 * P, 0);
    char *z = mmap(base + 62 * P, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    syscall(SYS_mseal, z, P, 0);
    munmap(z, 2 * P);
    mprotect(z, P, PROT_READ);
    return 0;
}
