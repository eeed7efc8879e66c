#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <setjmp.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#define P 4096UL
static void maps(const char *tag, unsigned long lo, unsigned long hi) {
    FILE *f = fopen("/proc/self/maps", "r"); char line[512]; int n = 0;
    printf("%s:", tag);
    while (fgets(line, sizeof line, f)) {
        unsigned long s, e; sscanf(line, "%lx-%lx", &s, &e);
        if (s < hi && e > lo) { line[strcspn(line, "\n")] = 0; char *sp = strchr(line, ' '); sp[5] = 0; printf(" [%s]", line); n++; }
    }
    printf(" (%d)\n", n); fclose(f); fflush(stdout);
}
static sigjmp_buf jb;
static void h(int s) { siglongjmp(jb, 1); }
#define M(addr,len,prot,fl) mmap((void*)(addr), len, prot, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED|(fl), -1, 0)
int main(void) {
    stack_t ss = { .ss_sp = malloc(65536), .ss_size = 65536 }; sigaltstack(&ss, 0);
    struct sigaction sa = { .sa_handler = h, .sa_flags = SA_ONSTACK }; sigaction(SIGSEGV, &sa, 0);
    /* control: no fault */
    char *t = M(0x70000000, P, PROT_READ|PROT_WRITE, MAP_GROWSDOWN);
    M(0x70001000, P, PROT_READ, MAP_GROWSDOWN);
    mprotect(t, P, PROT_READ);
    maps("S0 untouched growsdown RW->R next to R growsdown", 0x70000000, 0x70002000);
    struct rlimit rl = { P, RLIM_INFINITY }; 
    printf("setrlimit=%d\n", setrlimit(RLIMIT_STACK, &rl));
    t = M(0x71000000, P, PROT_READ|PROT_WRITE, MAP_GROWSDOWN);
    M(0x71001000, P, PROT_READ, MAP_GROWSDOWN);
    if (sigsetjmp(jb, 1) == 0) { volatile char c = t[-8]; (void)c; printf("no signal\n"); }
    else printf("SIGSEGV below (rlimit)\n");
    maps("S1 after refused growth", 0x70ff0000, 0x71002000);
    mprotect(t, P, PROT_READ);
    maps("S1 refused growth (rlimit), RW->R next to R growsdown", 0x71000000, 0x71002000);
    return 0;
}
