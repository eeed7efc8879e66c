/* madvise advice that changes neither vm_flags nor the layout (Linux 6.18): WILLNEED, COLD and
 * PAGEOUT walk the areas (a hole: ENOMEM at the end; COLD and PAGEOUT refuse locked and VM_PFNMAP
 * memory), PAGEOUT discards lazy-free pages still clean; DONTNEED_LOCKED zaps locked memory too;
 * POPULATE_READ/WRITE fault the range in, stopping at a hole (ENOMEM), at an area whose rights or
 * kind refuse the access (EINVAL) and at a page past a file's end (EFAULT). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24
#endif
#define P 4096L
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
static long sc(long n, long a, long b, long c) { return syscall(n, a, b, c); }
int main(void) {
    long vdso = getauxval(AT_SYSINFO_EHDR);
    long vvar = vdso - 6 * P;
    char *base = mmap(0, 64 * P, PROT_NONE, ANON, -1, 0);
    munmap(base, 64 * P);
    char *a = mmap(base, 8 * P, RW, ANON | MAP_FIXED, -1, 0);
    char *n = mmap(base + 8 * P, 2 * P, PROT_NONE, ANON | MAP_FIXED, -1, 0);
    char *r = mmap(base + 10 * P, 2 * P, PROT_READ, ANON | MAP_FIXED, -1, 0);
    char *l = mmap(base + 16 * P, 2 * P, RW, ANON | MAP_FIXED | MAP_LOCKED, -1, 0);
    a[0] = 1; a[P] = 2; a[2 * P] = 3; l[0] = 4;
    madvise(a, 8 * P, MADV_WILLNEED);
    madvise(a, 16 * P, MADV_WILLNEED);            /* a hole after r: ENOMEM */
    madvise(a, 8 * P, MADV_COLD);
    madvise(l, 2 * P, MADV_COLD);                 /* locked: EINVAL */
    madvise(l, 2 * P, MADV_WILLNEED);
    madvise(a, 2 * P, MADV_FREE);
    a[P] = 5;                                     /* written again: kept */
    madvise(a, 8 * P, MADV_PAGEOUT);              /* a[0] discarded, a[P] kept */
    int v = a[0] * 100 + a[P] * 10 + a[2 * P];    /* 53 */
    madvise(a + 12 * P, 8 * P, MADV_PAGEOUT);     /* hole, then locked: EINVAL */
    madvise(l, P, MADV_DONTNEED);                 /* locked: EINVAL */
    madvise(l, P, MADV_DONTNEED_LOCKED);          /* zapped */
    v = v * 10 + l[0];                            /* 530 + 0 */
    madvise(a + 4 * P, 4 * P, MADV_POPULATE_WRITE);
    madvise(a + 6 * P, 4 * P, MADV_POPULATE_READ);  /* then PROT_NONE: EINVAL */
    madvise(r, 2 * P, MADV_POPULATE_READ);
    madvise(r, 2 * P, MADV_POPULATE_WRITE);       /* read-only: EINVAL */
    madvise(r, 4 * P, MADV_POPULATE_READ);        /* a hole after r: ENOMEM */
    madvise(r + 2 * P, 2 * P, MADV_POPULATE_READ); /* starts in a hole: ENOMEM */
    madvise(a + 6 * P, 4 * P, MADV_WILLNEED);
    int fd = open("/etc/hostname", O_RDONLY);
    char *f = mmap(0, 2 * P, PROT_READ, MAP_PRIVATE, fd, 0);
    madvise(f, 2 * P, MADV_POPULATE_READ);        /* the second page is past the file's end: EFAULT */
    madvise(f, 2 * P, MADV_POPULATE_WRITE);       /* read-only: EINVAL */
    madvise(f, 2 * P, MADV_PAGEOUT);
    madvise(f, 2 * P, MADV_COLD);
    char *s = mmap(0, 2 * P, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    madvise(s, 2 * P, MADV_POPULATE_WRITE);
    madvise(s, 2 * P, MADV_PAGEOUT);
    sc(SYS_madvise, vdso, 2 * P, MADV_POPULATE_READ);
    sc(SYS_madvise, vdso, 2 * P, MADV_POPULATE_WRITE);  /* r-x: EINVAL */
    sc(SYS_madvise, vvar, P, MADV_POPULATE_READ);       /* VM_IO|VM_PFNMAP: EINVAL */
    sc(SYS_madvise, vvar, P, MADV_COLD);                /* VM_PFNMAP: EINVAL */
    sc(SYS_madvise, vvar, P, MADV_WILLNEED);
    sc(SYS_madvise, vvar, P, MADV_DONTNEED_LOCKED);     /* VM_PFNMAP: EINVAL */
    sc(SYS_madvise, vdso, P, MADV_COLD);
    return v % 256;
}
