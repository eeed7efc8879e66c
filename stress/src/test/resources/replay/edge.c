/* Edge cases: file mappings (beyond EOF, partial munmap, mremap), shared anonymous mremap, a
 * GROWSDOWN mapping, mprotect merging neighbours back, mremap across two areas (EFAULT). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define P 4096L
static long sc(long n, long a, long b, long c, long d, long e, long f) { return syscall(n, a, b, c, d, e, f); }

int main(void) {
    int fd = open("/etc/hostname", O_RDONLY);
    char *f = mmap(NULL, 4 * P, PROT_READ, MAP_PRIVATE, fd, 0);          /* beyond EOF */
    sc(SYS_munmap, (long) f + P, P, 0, 0, 0, 0);
    sc(SYS_mremap, (long) f + 2 * P, 2 * P, 6 * P, MREMAP_MAYMOVE, 0, 0);
    char *s = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0); /* EACCES: fd read-only */
    s = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    s[0] = 1;
    s = (char *) sc(SYS_mremap, (long) s, 4 * P, 2 * P, 0, 0, 0);
    s = (char *) sc(SYS_mremap, (long) s, 2 * P, 16 * P, MREMAP_MAYMOVE, 0, 0);
    char *g = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0);
    g[4 * P - 1] = 1;
    char *a = mmap(NULL, 8 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    sc(SYS_mprotect, (long) a + 2 * P, 2 * P, PROT_READ, 0, 0, 0);
    sc(SYS_mremap, (long) a, 4 * P, 8 * P, MREMAP_MAYMOVE, 0, 0);    /* EFAULT: two areas */
    sc(SYS_mprotect, (long) a + 2 * P, 2 * P, PROT_READ | PROT_WRITE, 0, 0, 0); /* merges back */
    sc(SYS_mremap, (long) a, 4 * P, 2 * P, 0, 0, 0);
    sc(SYS_mremap, (long) a, 2 * P, 3 * P, 0, 0, 0);                 /* grows into its own hole */
    sc(SYS_madvise, (long) s, 16 * P, MADV_DONTNEED, 0, 0, 0);
    sc(SYS_mmap, (long) a, 16 * P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    sc(SYS_munmap, (long) a + P, 14 * P, 0, 0, 0, 0);
    return 0;
}
