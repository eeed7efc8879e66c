/*
 * Which faults give an area its anon_vma, seen through merging on this machine's kernel (6.18): three
 * adjacent one-page areas X (PROT_READ), Y (PROT_NONE), Z (PROT_READ), made apart so that they do not
 * merge, then X and Z touched one way, then mprotect of all three to r-x. Areas with two different
 * anon_vmas do not merge; an area without one merges with either. So: one area after it = neither X
 * nor Z got an anon_vma (or they share one); [X,Y] [Z] = each got its own.
 * gcc -O0 -o anon-read anon-read.c && ./anon-read > anon-read.out
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <unistd.h>
#define P 4096L
static char *w;
static void layout(const char *what) {
    FILE *f = fopen("/proc/self/maps", "r");
    char l[256];
    printf("%-40s", what);
    while (fgets(l, sizeof l, f)) {
        unsigned long a, b;
        sscanf(l, "%lx-%lx", &a, &b);
        if (a < (unsigned long)w + 3 * P && b > (unsigned long)w)
            printf(" [%ld,%ld)", (long)(a - (unsigned long)w) / P, (long)(b - (unsigned long)w) / P);
    }
    printf("\n");
    fclose(f);
}
static void run(const char *what, int file, int how) {
    int fd = -1;
    if (file) { fd = open("/tmp/anon-read-file", O_RDWR | O_CREAT | O_TRUNC, 0600); ftruncate(fd, 3 * P); }
    int fl = MAP_PRIVATE | MAP_FIXED | (file ? 0 : MAP_ANONYMOUS);
    mmap(w, P, PROT_READ, fl, fd, 0);
    mmap(w + P, P, PROT_NONE, fl, fd, P);
    mmap(w + 2 * P, P, PROT_READ, fl, fd, 2 * P);
    for (int i = 0; i < 3; i += 2) {
        char *p = w + i * P;
        if (how == 1) { volatile char c = p[0]; (void)c; }
        if (how == 2) madvise(p, P, MADV_POPULATE_READ);
        if (how == 3) mlock(p, P);
        if (how == 4) { mprotect(p, P, PROT_READ | PROT_WRITE); p[0] = 1; mprotect(p, P, PROT_READ); }
        if (how == 5) madvise(p, P, MADV_WILLNEED);
    }
    if (how == 3) munlock(w, 3 * P);
    mprotect(w, 3 * P, PROT_READ | PROT_EXEC);
    layout(what);
    munmap(w, 3 * P);
    if (fd >= 0) close(fd);
}
int main(void) {
    setvbuf(stdout, 0, _IONBF, 0);
    w = mmap(0, 3 * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(w, 3 * P);
    run("anonymous, untouched", 0, 0);
    run("anonymous, read by the CPU", 0, 1);
    run("anonymous, MADV_POPULATE_READ", 0, 2);
    run("anonymous, mlock (then munlock)", 0, 3);
    run("anonymous, written", 0, 4);
    run("anonymous, MADV_WILLNEED", 0, 5);
    run("private file, untouched", 1, 0);
    run("private file, read by the CPU", 1, 1);
    run("private file, MADV_POPULATE_READ", 1, 2);
    run("private file, written (a copy)", 1, 4);
    return 0;
}
