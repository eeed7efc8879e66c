/*
 * mremap at and near vm.max_map_count on this machine's kernel: where does each kind of mremap
 * start refusing with ENOMEM? Fills the address space with one-page areas of alternating
 * protection (so that none merge) until the process has exactly N areas, then tries:
 *   grow:   growing an area in place (room above it)                 — no new area
 *   move:   growing with MREMAP_MAYMOVE where it cannot grow in place — a move
 *   fixed:  MREMAP_MAYMOVE|MREMAP_FIXED to a free address             — a move
 *   hole:   MREMAP_MAYMOVE|MREMAP_FIXED from an unmapped address      — EFAULT or ENOMEM first?
 *   shrink: shrinking an area's tail                                  — no new area
 * for N from max-7 to max+1 (the last through an mmap, which may reach max+1).
 *
 * Build and run: cc -O2 -o /tmp/mremap-map-count docs/linux/mremap-map-count.c && /tmp/mremap-map-count
 * Output: docs/linux/mremap-map-count.out
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define P 4096UL
static char *const FILL = (char *)0x100000000000UL;  /* filler areas, one page each */
static char *const FIX = (char *)0x200000000000UL;   /* the fixture */
static long nfill;                                   /* filler pages mapped */
static long base;                                    /* areas besides the filler and the fixture */

/* mm->map_count: the lines of /proc/self/maps but [vsyscall], which is not a VMA of the process. */
static long areas(void) {
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    long n = 0;
    while (fgets(line, sizeof line, f)) {
        n += strstr(line, "[vsyscall]") == NULL;
    }
    fclose(f);
    return n;
}

static void fill_to(long n) {
    while (nfill < n) {
        int prot = nfill % 2 ? PROT_READ : PROT_READ | PROT_WRITE;
        if (mmap(FILL + nfill * P, P, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) == MAP_FAILED) {
            perror("fill");
            exit(1);
        }
        nfill++;
    }
    while (nfill > n) {
        nfill--;
        munmap(FILL + nfill * P, P);
    }
}

static const char *res(void *r) {
    static char b[64];
    if (r == MAP_FAILED) {
        snprintf(b, sizeof b, "%s", strerrorname_np(errno));
    } else {
        snprintf(b, sizeof b, "ok");
    }
    return b;
}

static char *fixture(long pages, int prot) {
    char *a = mmap(FIX, pages * P, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (a == MAP_FAILED) {
        perror("fixture");
        exit(1);
    }
    return a;
}

int main(void) {
    FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
    long max;
    if (fscanf(f, "%ld", &max) != 1) {
        return 1;
    }
    fclose(f);
    base = areas();
    printf("max_map_count %ld, %ld areas before the filler\n", max, base);
    printf("%-8s %6s %6s %-8s %s\n", "call", "map_count", "max-n", "result", "map_count after");
    for (long n = max - 7; n <= max + 1; n++) {
        const char *names[] = {"grow", "move", "fixed", "hole", "shrink"};
        for (int t = 0; t < 5; t++) {
            char *a;
            long fixed_areas;
            void *r;
            fill_to(nfill > 8 ? nfill - 8 : 0); /* room for the fixture's areas */
            if (t == 1) {
                /* two pages, a page of other protection right above: cannot grow in place */
                a = fixture(3, PROT_READ | PROT_WRITE);
                mprotect(a + 2 * P, P, PROT_READ);
                fixed_areas = 2;
            } else if (t == 3) {
                a = FIX; /* nothing mapped there */
                fixed_areas = 0;
            } else {
                a = fixture(t == 4 ? 4 : 2, PROT_READ | PROT_WRITE);
                fixed_areas = 1;
            }
            long target = n - base - fixed_areas;
            if (n == max + 1) {
                target = max - base - fixed_areas; /* fill to max, then one mmap may make max+1 */
                fill_to(target);
                if (mmap(FILL + nfill * P, P, nfill % 2 ? PROT_READ : PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) == MAP_FAILED) {
                    printf("mmap at max: %s\n", strerrorname_np(errno));
                } else {
                    nfill++;
                }
            } else {
                fill_to(target);
            }
            long before = areas();
            char *far = (char *)0x300000000000UL;
            switch (t) {
            case 0: r = mremap(a, 2 * P, 4 * P, 0); break;
            case 1: r = mremap(a, 2 * P, 8 * P, MREMAP_MAYMOVE); break;
            case 2: r = mremap(a, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, far); break;
            case 3: r = mremap(a, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, far); break;
            default: r = mremap(a, 4 * P, 2 * P, 0); break;
            }
            long after = areas();
            printf("%-8s %6ld %6ld %-8s %ld\n", names[t], before, max - before, res(r), after);
            if (r != MAP_FAILED) {
                munmap(r, 8 * P);
            }
            munmap(FIX, 16 * P);
            munmap(far, 16 * P);
        }
    }
    return 0;
}
