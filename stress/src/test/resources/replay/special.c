/* special mappings: vdso/vvar splitting, PFNMAP madvise, mprotect without MAYWRITE, growing, moving */
#define _GNU_SOURCE
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#define P 4096L
static long sc(long n, long a, long b, long c, long d, long e, long f) { return syscall(n, a, b, c, d, e, f); }
int main(void) {
    long vdso = getauxval(AT_SYSINFO_EHDR);
    long vvar = vdso - 6 * P, vclock = vdso - 2 * P;
    sc(SYS_munmap, vdso, P, 0, 0, 0, 0);                          /* split special: EINVAL */
    sc(SYS_mprotect, vdso, P, PROT_READ, 0, 0, 0);                /* split special: EINVAL */
    sc(SYS_mprotect, vdso, 2 * P, PROT_READ, 0, 0, 0);            /* whole: ok */
    sc(SYS_mprotect, vdso, 2 * P, PROT_READ | PROT_WRITE, 0, 0, 0); /* vdso has MAYWRITE: ok */
    sc(SYS_mprotect, vvar, 4 * P, PROT_READ | PROT_WRITE, 0, 0, 0); /* vvar no MAYWRITE: EACCES */
    sc(SYS_mprotect, vvar, 4 * P, PROT_READ | PROT_EXEC, 0, 0, 0);  /* no MAYEXEC? */
    sc(SYS_madvise, vvar, P, MADV_DONTNEED, 0, 0, 0);             /* PFNMAP: EINVAL */
    sc(SYS_madvise, vdso, P, MADV_DONTNEED, 0, 0, 0);             /* ok? */
    sc(SYS_madvise, vdso, P, MADV_FREE, 0, 0, 0);                 /* not anon: EINVAL */
    sc(SYS_mremap, vdso, 2 * P, 4 * P, 0, 0, 0);                  /* DONTEXPAND: EFAULT */
    sc(SYS_mremap, vdso, 2 * P, 4 * P, MREMAP_MAYMOVE, 0, 0);     /* DONTEXPAND: EFAULT */
    sc(SYS_mremap, vdso, 2 * P, P, 0, 0, 0);                      /* shrink: split: EINVAL? */
    sc(SYS_mmap, vdso + P, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0); /* EINVAL? */
    sc(SYS_munmap, vclock, 3 * P, 0, 0, 0, 0);                    /* split vdso: EINVAL, vclock kept? */
    long n = sc(SYS_mmap, 0, 2 * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    sc(SYS_mremap, vdso, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, n, 0); /* move vdso: ok */
    sc(SYS_munmap, vvar, 4 * P, 0, 0, 0, 0);                      /* whole: ok */
    sc(SYS_mremap, vclock, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, vvar, 0); /* move vclock */
    return 0;
}
