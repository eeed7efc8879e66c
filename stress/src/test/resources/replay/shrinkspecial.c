/* mremap shrinks whose dropped tail would split [vdso]: Linux EINVAL (special_mapping_split) */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#define P 4096UL
#define VDSO 0x7ffff7fc8000UL   /* setarch -R, this machine: [vdso] is 2 pages */
int main(void) {
    char *y = mmap(0, 64 * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(y, 64 * P);
    char *t = y + 32 * P;
    mmap(y, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    syscall(SYS_mremap, VDSO, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, y + 2 * P); /* [vdso] right above y's area */
    syscall(SYS_mremap, y, 3 * P, P, 0, 0);                                             /* shrink: EINVAL */
    mmap(t, 2 * P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    syscall(SYS_mremap, y, 3 * P, P, MREMAP_MAYMOVE | MREMAP_FIXED, t);                 /* EINVAL, t unmapped */
    return 0;
}
