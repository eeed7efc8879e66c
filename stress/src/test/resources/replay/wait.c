/* wait4 and waitid as the replay checks them (gcc -O0 -o /tmp/wait wait.c) */
#define _GNU_SOURCE
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int quit(void *arg) { (void)arg; return 7; }

int main(void) {
    int st;
    siginfo_t si;
    /* a child that exits 3: maybe not yet (WNOHANG), then seen without reaping (WNOWAIT), then reaped */
    pid_t a = fork();
    if (a == 0) { usleep(20000); _exit(3); }
    wait4(a, &st, WNOHANG, NULL);
    waitid(P_PID, a, &si, WEXITED | WNOWAIT);
    wait4(a, &st, 0, NULL);
    wait4(-1, &st, WNOHANG, NULL);                   /* ECHILD: none left */
    /* a clone child without SIGCHLD: only __WCLONE or __WALL wait for it */
    char *stack = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    pid_t b = clone(quit, stack + 65536, 0, NULL);
    wait4(b, &st, 0, NULL);                          /* ECHILD: not a SIGCHLD child */
    wait4(b, &st, __WCLONE, NULL);
    munmap(stack, 65536);
    /* the arguments' errors */
    wait4(-1, &st, 0x100, NULL);                     /* EINVAL */
    wait4(INT_MIN, &st, 0, NULL);                    /* ESRCH */
    waitid(P_PID, 0, &si, WEXITED);            /* EINVAL */
    waitid(P_ALL, 0, &si, WNOHANG);            /* EINVAL: no event */
    /* a child killed, reaped by waitid; a child stopped, seen (WUNTRACED), killed, reaped */
    pid_t c = fork();
    if (c == 0) { for (;;) pause(); }
    kill(c, SIGKILL);
    waitid(P_ALL, 0, &si, WEXITED);
    pid_t d = fork();
    if (d == 0) { raise(SIGSTOP); _exit(0); }
    wait4(d, &st, WUNTRACED, NULL);
    kill(d, SIGKILL);
    wait4(-1, &st, __WALL, NULL);
    return 0;
}
