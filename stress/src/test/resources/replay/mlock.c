/* mlock, munlock, mlock2, mlockall, munlockall (Linux 6.18, as root: CAP_IPC_LOCK): the start
 * rounded down and the length up; ENOMEM for a hole at the start (nothing done) or inside (the areas
 * before it locked); a locked page refuses MADV_DONTNEED; a PROT_NONE area gets locked but its pages
 * are never faulted in: ENOMEM; a page past a file's end: ENOMEM; mlock2 with MLOCK_ONFAULT, with a
 * bad flag (EINVAL); mlockall(MCL_FUTURE) locks later mappings and heap growth, not a fork's child;
 * mlockall(0) and mlockall(MCL_ONFAULT) are EINVAL; special mappings stay unlocked. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif
#define P 4096L
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
int main(void) {
    long vdso = getauxval(AT_SYSINFO_EHDR);
    char *base = mmap(0, 64 * P, PROT_NONE, ANON, -1, 0);
    munmap(base, 64 * P);
    char *a = mmap(base, 8 * P, RW, ANON | MAP_FIXED, -1, 0);
    char *b = mmap(base + 10 * P, 4 * P, RW, ANON | MAP_FIXED, -1, 0);
    char *n = mmap(base + 16 * P, 2 * P, PROT_NONE, ANON | MAP_FIXED, -1, 0);
    a[0] = 1;
    mlock(a + 100, P);                      /* pages 0 and 1 */
    madvise(a, P, MADV_DONTNEED);           /* EINVAL */
    madvise(a + P, P, MADV_DONTNEED);       /* EINVAL */
    madvise(a + 2 * P, P, MADV_DONTNEED);   /* 0 */
    mlock(a + 9 * P, P);                    /* a hole at the start: ENOMEM */
    mlock(a + 4 * P, 8 * P);                /* a hole inside: ENOMEM, a + 4P.. locked */
    madvise(a + 6 * P, P, MADV_DONTNEED);   /* EINVAL */
    madvise(b, P, MADV_DONTNEED);           /* 0: not reached */
    munlock(a, 8 * P);
    madvise(a, 8 * P, MADV_DONTNEED);       /* 0 */
    mlock(n, 2 * P);                        /* PROT_NONE: locked, not populated: ENOMEM */
    madvise(n, P, MADV_DONTNEED);           /* EINVAL: it is locked */
    syscall(SYS_mlock2, b, 2 * P, MLOCK_ONFAULT);
    madvise(b, P, MADV_DONTNEED);           /* EINVAL */
    syscall(SYS_mlock2, b, 2 * P, 2);       /* EINVAL */
    munlock(b, 4 * P);
    int fd = open("/etc/hostname", O_RDONLY);
    char *f = mmap(0, 2 * P, PROT_READ, MAP_PRIVATE, fd, 0);
    mlock(f, 2 * P);                        /* the second page is past the file's end: ENOMEM */
    madvise(f, P, MADV_DONTNEED);           /* EINVAL: locked all the same */
    mlock((void *)vdso, 2 * P);             /* a special mapping: not locked */
    madvise((void *)vdso, P, MADV_DONTNEED);
    mlockall(0);                            /* EINVAL */
    mlockall(MCL_ONFAULT);                  /* EINVAL */
    mlockall(MCL_FUTURE);
    char *c = mmap(0, 2 * P, RW, ANON, -1, 0);
    madvise(c, P, MADV_DONTNEED);           /* EINVAL */
    madvise(a, P, MADV_DONTNEED);           /* 0: MCL_FUTURE only */
    char *h = sbrk(0);
    brk(h + 8 * P);
    madvise(h, P, MADV_DONTNEED);           /* EINVAL: the new heap is locked */
    pid_t k = fork();
    if (k == 0) {
        char *x = mmap(0, P, RW, ANON, -1, 0);
        madvise(x, P, MADV_DONTNEED);       /* 0: not inherited */
        madvise(c, P, MADV_DONTNEED);       /* 0: the child's copy is not locked */
        _exit(0);
    }
    waitpid(k, 0, 0);
    mlockall(MCL_CURRENT | MCL_ONFAULT);
    madvise(b, P, MADV_DONTNEED);           /* EINVAL */
    char *d = mmap(0, P, RW, ANON, -1, 0);
    madvise(d, P, MADV_DONTNEED);           /* 0: MCL_FUTURE was dropped */
    munlockall();
    madvise(c, P, MADV_DONTNEED);           /* 0 */
    mlockall(MCL_CURRENT);                  /* ok, though n is PROT_NONE */
    madvise(c, P, MADV_DONTNEED);           /* EINVAL */
    munlockall();
    return a[0];
}
