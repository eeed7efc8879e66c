/* mremap with MREMAP_DONTUNMAP (Linux 6.18, as root): the pages move and the old range stays mapped,
 * whole (not split) and empty; VM_LOCKED is cleared on the whole old area (MADV_DONTNEED succeeds
 * there again) and kept on the new one (EINVAL there); without MREMAP_FIXED new_addr is a hint; a
 * shared mapping's old range still reaches its object, a private file mapping's its file; FIXED over
 * a mapping and across two areas (6.17); EINVAL without MAYMOVE, for a resize, an unaligned or
 * overlapping new address, old_len 0, the vdso and vvar; EFAULT for a hole or a range past the area.
 * Exits with 100 when every value read back is the kernel's expected one. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#define P 4096L
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define DU (MREMAP_MAYMOVE | MREMAP_DONTUNMAP)
#define FX (DU | MREMAP_FIXED)
int main(void) {
    int ok = 0;
    long vdso = getauxval(AT_SYSINFO_EHDR);
    char *base = mmap(0, 256 * P, PROT_NONE, ANON, -1, 0);
    munmap(base, 256 * P);
    /* part of an area, FIXED into a hole */
    char *a = mmap(base, 4 * P, RW, ANON | MAP_FIXED, -1, 0);
    for (int i = 0; i < 4; i++) a[i * P] = i + 1;
    char *n = mremap(a + P, 2 * P, 2 * P, FX, base + 10 * P);
    ok += a[0] == 1 && a[P] == 0 && a[2 * P] == 0 && a[3 * P] == 4 && n[0] == 2 && n[P] == 3;
    /* a free hint is used, a taken one is not */
    char *b = mmap(base + 20 * P, 2 * P, RW, ANON | MAP_FIXED, -1, 0);
    b[0] = 7;
    char *h = mremap(b, 2 * P, 2 * P, DU, base + 30 * P);
    char *e = mremap(b, 2 * P, 2 * P, DU, base + 30 * P);
    ok += h == base + 30 * P && h[0] == 7 && e != h && e[0] == 0;
    /* VM_LOCKED: off on the whole old area, on where the pages went */
    char *l = mmap(base + 40 * P, 4 * P, RW, ANON | MAP_FIXED, -1, 0);
    mlock(l, 4 * P);
    char *ln = mremap(l + P, 2 * P, 2 * P, FX, base + 50 * P);
    ok += madvise(l, 4 * P, MADV_DONTNEED) == 0 && madvise(ln, P, MADV_DONTNEED) == -1;
    /* errors */
    char *c = mmap(base + 60 * P, 4 * P, RW, ANON | MAP_FIXED, -1, 0);
    mremap(c, 2 * P, 4 * P, DU, 0);                              /* EINVAL: a resize */
    mremap(c, 2 * P, P, DU, 0);                                  /* EINVAL */
    mremap(c, 2 * P, 2 * P, MREMAP_DONTUNMAP, 0);                /* EINVAL: no MAYMOVE */
    mremap(c, 2 * P, 2 * P, MREMAP_DONTUNMAP | MREMAP_FIXED, base + 70 * P); /* EINVAL */
    mremap(c + P + 1, P, P, DU, 0);                              /* EINVAL: unaligned */
    mremap(c, 2 * P, 2 * P, DU, base + 70 * P + 1);              /* EINVAL: an unaligned hint */
    mremap(c, 2 * P, 2 * P, DU, c + P);                          /* EINVAL: the hint overlaps */
    mremap(c, 0, P, DU, 0);                                      /* EINVAL */
    mremap(base + 65 * P, P, P, DU, 0);                          /* EFAULT: a hole */
    mremap(c + 3 * P, 2 * P, 2 * P, DU, 0);                      /* EFAULT: past the area */
    mremap((void *)vdso, P, P, DU, 0);                           /* EINVAL: VM_DONTEXPAND */
    mremap((void *)(vdso - 4 * P), 64 * P, 64 * P, DU, 0);       /* EINVAL: vvar (VM_PFNMAP) */
    /* a touched area moved right after itself */
    char *d = mmap(base + 80 * P, 2 * P, RW, ANON | MAP_FIXED, -1, 0);
    d[0] = 9;
    char *dn = mremap(d, 2 * P, 2 * P, FX, base + 82 * P);
    ok += d[0] == 0 && dn[0] == 9;
    /* shared: both ranges reach the object */
    char *s = mmap(base + 90 * P, 2 * P, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    s[0] = 11;
    char *sn = mremap(s, 2 * P, 2 * P, FX, base + 100 * P);
    s[P] = 12;
    ok += s[0] == 11 && sn[P] == 12;
    /* a private file mapping: the copy moves, the old range reads the file */
    int fd = open("/etc/hostname", O_RDONLY);
    char *f = mmap(base + 110 * P, P, RW, MAP_PRIVATE | MAP_FIXED, fd, 0);
    char orig = f[0];
    f[0] = 'Z';
    char *fn = mremap(f, P, P, FX, base + 120 * P);
    ok += f[0] == orig && fn[0] == 'Z';
    /* FIXED over a mapping: the target is replaced, the old area stays */
    char *g = mmap(base + 130 * P, 2 * P, RW, ANON | MAP_FIXED, -1, 0);
    g[0] = 13;
    mmap(base + 140 * P, 4 * P, PROT_READ, ANON | MAP_FIXED, -1, 0);
    char *gn = mremap(g, 2 * P, 2 * P, FX, base + 141 * P);
    ok += gn[0] == 13 && mprotect(g, 2 * P, PROT_READ) == 0;
    /* across two areas: EFAULT without FIXED, moved with it */
    char *m = mmap(base + 150 * P, 2 * P, RW, ANON | MAP_FIXED, -1, 0);
    mmap(base + 152 * P, 2 * P, PROT_READ, ANON | MAP_FIXED, -1, 0);
    m[P] = 14;
    mremap(m, 4 * P, 4 * P, DU, 0);                              /* EFAULT */
    char *mn = mremap(m, 4 * P, 4 * P, FX, base + 160 * P);
    ok += mn[P] == 14 && m[P] == 0;
    /* MAP_LOCKED, whole; PROT_NONE */
    char *k = mmap(base + 170 * P, 2 * P, RW, ANON | MAP_FIXED | MAP_LOCKED, -1, 0);
    char *kn = mremap(k, 2 * P, 2 * P, FX, base + 180 * P);
    ok += madvise(k, 2 * P, MADV_DONTNEED) == 0 && madvise(kn, 2 * P, MADV_DONTNEED) == -1;
    char *z = mmap(base + 190 * P, 2 * P, PROT_NONE, ANON | MAP_FIXED, -1, 0);
    mremap(z, 2 * P, 2 * P, FX, base + 200 * P);
    return ok * 10 + 10;
}
