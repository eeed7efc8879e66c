/* mremap (grow in place, move, shrink), madvise, mprotect and munmap over holes, brk, and the
 * errno cases an unprivileged program can see; calls are made with syscall() so that each one
 * appears once in the trace, as written. */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define P 4096L
static long sc(long n, long a, long b, long c, long d, long e, long f) { return syscall(n, a, b, c, d, e, f); }

int main(void) {
    char *a = mmap(NULL, 16 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    a[0] = 1;
    sc(SYS_munmap, (long) a + 4 * P, 2 * P, 0, 0, 0, 0);              /* a hole at pages 4-5 */
    sc(SYS_mprotect, (long) a, 8 * P, PROT_READ, 0, 0, 0);            /* ENOMEM, pages 0-3 changed */
    sc(SYS_madvise, (long) a, 8 * P, MADV_DONTNEED, 0, 0, 0);         /* ENOMEM after applying */
    sc(SYS_munmap, (long) a, 16 * P, 0, 0, 0, 0);
    char *b = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    sc(SYS_munmap, (long) b - 8 * P, 8 * P, 0, 0, 0, 0);              /* room below... */
    char *c = (char *) sc(SYS_mremap, (long) b, 4 * P, 6 * P, 0, 0, 0); /* ...but not above: ENOMEM */
    c = (char *) sc(SYS_mremap, (long) b, 4 * P, 64 * P, MREMAP_MAYMOVE, 0, 0); /* moves */
    c = (char *) sc(SYS_mremap, (long) c, 64 * P, 8 * P, 0, 0, 0);    /* shrinks in place */
    sc(SYS_mremap, (long) c + 32 * P, P, 2 * P, MREMAP_MAYMOVE, 0, 0); /* EFAULT */
    sc(SYS_mremap, (long) c, 8 * P, 8 * P, MREMAP_FIXED, (long) c, 0); /* EINVAL */
    sc(SYS_mmap, (long) c, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0); /* EEXIST */
    sc(SYS_mmap, 0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); /* EINVAL */
    sc(SYS_mmap, 0, -P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); /* ENOMEM */
    sc(SYS_mmap, (long) c + 1, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0); /* EINVAL */
    sc(SYS_mprotect, (long) c + 1, P, PROT_READ, 0, 0, 0);            /* EINVAL */
    sc(SYS_mprotect, (long) c, P, 0x10, 0, 0, 0);                     /* EINVAL */
    sc(SYS_munmap, (long) c, 0, 0, 0, 0, 0);                          /* EINVAL */
    sc(SYS_madvise, (long) c, P, 12345, 0, 0, 0);                     /* EINVAL */
    sc(SYS_mremap, (long) c, 8 * P, 16 * P, 0, 0, 0);                 /* grows in place */
    sc(SYS_mprotect, (long) c + 4 * P, 4 * P, PROT_NONE, 0, 0, 0);
    char *brk0 = (char *) sc(SYS_brk, 0, 0, 0, 0, 0, 0);
    sc(SYS_brk, (long) brk0 + 10 * P + 100, 0, 0, 0, 0, 0);
    sc(SYS_brk, (long) brk0 + 3 * P, 0, 0, 0, 0, 0);
    sc(SYS_brk, (long) brk0 - 100 * P, 0, 0, 0, 0, 0);                /* below the start: fails */
    sc(SYS_brk, 0x7ffffff00000L, 0, 0, 0, 0, 0);                      /* into the stack gap: fails */
    return 0;
}
