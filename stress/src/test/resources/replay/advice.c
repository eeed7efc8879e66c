/* madvise advice that changes vm_flags (Linux 6.18, madvise_update_vma): each splits an area where
 * its range starts or ends and merges it back when the flags are equal again; DONTFORK leaves the
 * area out of a fork's child, WIPEONFORK gives the child the area empty; the refusals: WIPEONFORK
 * on a file or shared mapping, KEEPONFORK and DODUMP on MAP_DROPPABLE memory, DODUMP on a special
 * mapping, DOFORK on [vvar] (VM_IO), a split of a special mapping; MERGEABLE leaves shared and
 * droppable memory as it is; a hole is skipped and gives ENOMEM at the end. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#ifndef MAP_DROPPABLE
#define MAP_DROPPABLE 0x08
#endif
#define P 4096L
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
int main(void) {
    long vdso = getauxval(AT_SYSINFO_EHDR);
    long vvar = vdso - 6 * P;
    char *base = mmap(0, 64 * P, PROT_NONE, ANON, -1, 0);
    munmap(base, 64 * P);
    char *a = mmap(base, 8 * P, RW, ANON | MAP_FIXED, -1, 0);
    a[0] = 1; a[2 * P] = 2; a[4 * P] = 3; a[6 * P] = 4;
    madvise(a + 2 * P, 2 * P, MADV_DONTFORK);
    madvise(a + 4 * P, 2 * P, MADV_WIPEONFORK);
    madvise(a + 2 * P, 2 * P, MADV_DONTFORK);
    madvise(a, 8 * P, MADV_RANDOM);
    madvise(a, 8 * P, MADV_NORMAL);
    mremap(a, 2 * P, 3 * P, 0);                  /* the DONTFORK area is next: ENOMEM */
    madvise(a + 2 * P, 2 * P, MADV_DOFORK);      /* merges with the first */
    mremap(a, 4 * P, 4 * P, 0);                  /* one area now: ok */
    pid_t c = fork();
    if (c == 0) {
        mmap(a + 4 * P, P, PROT_READ, ANON | MAP_FIXED_NOREPLACE, -1, 0); /* wiped, present: EEXIST */
        madvise(a + 4 * P, 2 * P, MADV_KEEPONFORK);
        _exit(a[0] * 10 + a[4 * P]);
    }
    waitpid(c, 0, 0);
    madvise(a + 6 * P, 2 * P, MADV_DONTFORK);
    c = fork();
    if (c == 0) {
        mprotect(a + 6 * P, P, PROT_READ);       /* not in the child: ENOMEM */
        mmap(a + 6 * P, 2 * P, PROT_READ, ANON | MAP_FIXED_NOREPLACE, -1, 0); /* free: ok */
        madvise(a, 8 * P, MADV_SEQUENTIAL);
        _exit(0);
    }
    waitpid(c, 0, 0);
    madvise(a, 16 * P, MADV_HUGEPAGE);           /* a hole after a + 8P: ENOMEM, the areas changed */
    madvise(a + 8 * P, 8 * P, MADV_NOHUGEPAGE);  /* only a hole: ENOMEM */
    madvise(a + 1, P, MADV_RANDOM);              /* EINVAL */
    madvise(a, P, 99);                           /* EINVAL */
    madvise(a, 0, MADV_DONTDUMP);                /* 0 */
    int fd = open("/etc/hostname", O_RDONLY);
    char *f = mmap(0, P, PROT_READ, MAP_PRIVATE, fd, 0);
    madvise(f, P, MADV_WIPEONFORK);              /* a file: EINVAL */
    madvise(f, P, MADV_MERGEABLE);
    madvise(f, P, MADV_DONTFORK);
    char *s = mmap(0, 2 * P, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    madvise(s, 2 * P, MADV_WIPEONFORK);          /* shared: EINVAL */
    madvise(s, P, MADV_MERGEABLE);               /* shared: left as it is */
    munmap(s + P, P);
    char *d = mmap(0, 2 * P, RW, MAP_DROPPABLE | MAP_ANONYMOUS, -1, 0);
    madvise(d, P, MADV_KEEPONFORK);              /* EINVAL */
    madvise(d, P, MADV_DODUMP);                  /* EINVAL */
    madvise(d, P, MADV_MERGEABLE);               /* left as it is */
    madvise(d, P, MADV_WIPEONFORK);              /* already: no split */
    munmap(d + P, P);
    madvise(a, 2 * P, MADV_MERGEABLE);
    madvise(a, P, MADV_UNMERGEABLE);
    madvise(a, 4 * P, MADV_DONTDUMP);
    madvise(a + P, P, MADV_DODUMP);
    syscall(SYS_madvise, vdso, P, MADV_DODUMP);     /* special: EINVAL */
    syscall(SYS_madvise, vdso, P, MADV_HUGEPAGE);   /* a split of a special mapping: EINVAL */
    syscall(SYS_madvise, vdso, 2 * P, MADV_HUGEPAGE); /* the whole: ok */
    syscall(SYS_madvise, vvar, P, MADV_DOFORK);     /* VM_IO: EINVAL */
    syscall(SYS_madvise, vvar, P, MADV_DONTDUMP);   /* already VM_DONTDUMP: no split, ok */
    syscall(SYS_madvise, vvar, P, MADV_RANDOM);     /* a split of a special mapping: EINVAL */
    mremap(a, 8 * P, 9 * P, 0);                  /* areas differ in flags from a + 2P: EFAULT */
    return 0;
}
