#include "maps.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/resource.h>
static sigjmp_buf jb;
static void h(int s) { siglongjmp(jb, 1); }
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
