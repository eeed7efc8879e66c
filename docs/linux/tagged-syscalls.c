/* What this machine's kernel (x86-64, no LAM: untagged_addr changes nothing) answers to the
 * address-space calls with a tagged address, for TopByteIgnoreTest's x86 rows (arm64's rows follow
 * arm64's untagged_addr, see docs/linux-semantics.md). Build and run:
 *   gcc -O1 -o /tmp/tagged-syscalls docs/linux/tagged-syscalls.c && /tmp/tagged-syscalls
 * (output: docs/linux/tagged-syscalls.out, on 6.18.44). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>

#define PG 4096UL
#define BASE 0x40000000UL
#define TAG (0x5AUL << 56)
#define B55 (1UL << 55)

static long r(long x) { return x == -1 ? -errno : x; }
static long at(unsigned long a) { return *(volatile long *)a; }

int main(void) {
    printf("mmap(BASE|TAG, FIXED) %ld\n", r((long)mmap((void *)(BASE | TAG), PG, PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)));
    printf("mmap(BASE, 4 pages) %#lx\n", (long)mmap((void *)BASE, 4 * PG, PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
    *(long *)BASE = 5;
    *(long *)(BASE + PG) = 9;
    *(long *)(BASE + 3 * PG) = 11;
    printf("mprotect(BASE|TAG, READ) %ld\n", r(mprotect((void *)(BASE | TAG), PG, PROT_READ)));
    long res = r(madvise((void *)((BASE + PG) | TAG), PG, MADV_DONTNEED));
    printf("madvise(BASE+1|TAG, DONTNEED) %ld, then BASE+1 reads %ld\n", res, at(BASE + PG));
    res = r(madvise((void *)(BASE | 0xFFUL << 56), 1UL << 56, MADV_DONTNEED));
    printf("madvise(BASE|0xff<<56, 1<<56) %ld, then BASE reads %ld\n", res, at(BASE));
    printf("mlock(BASE+2|TAG) %ld\n", r(mlock((void *)((BASE + 2 * PG) | TAG), PG)));
    printf("munlock(BASE+2|TAG) %ld\n", r(munlock((void *)((BASE + 2 * PG) | TAG), PG)));
    printf("madvise(1<<55, 1<<55) %ld\n", r(madvise((void *)B55, B55, MADV_DONTNEED)));
    printf("mlock(1<<55, 1<<55) %ld\n", r(mlock((void *)B55, B55)));
    printf("munlock(1<<55, 1<<55) %ld\n", r(munlock((void *)B55, B55)));
    printf("mremap(BASE -> BASE+8|TAG) %ld\n", r((long)mremap((void *)BASE, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED,
            (void *)((BASE + 8 * PG) | TAG))));
    res = r((long)mremap((void *)((BASE + 3 * PG) | TAG), PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)(BASE + 8 * PG)));
    printf("mremap(BASE+3|TAG -> BASE+8) %ld, then BASE+3 reads %ld\n", res, at(BASE + 3 * PG));
    printf("munmap(BASE+2|TAG) %ld\n", r(munmap((void *)((BASE + 2 * PG) | TAG), PG)));
    return 0;
}
