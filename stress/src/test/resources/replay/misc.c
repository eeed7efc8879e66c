#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
    int st; siginfo_t si;
    /* A: wait(0) (process group) reaps; then wait4(-1, WNOHANG) must be ECHILD */
    pid_t a = fork(); if (a == 0) _exit(0);
    waitpid(0, &st, 0);
    waitpid(-1, &st, WNOHANG);
    /* B: waitid with NULL infop: returns 0 having reaped */
    a = fork(); if (a == 0) _exit(0);
    syscall(SYS_waitid, P_PID, a, NULL, WEXITED, NULL);
    /* C: waitid WSTOPPED only, only zombie children: ECHILD */
    a = fork(); if (a == 0) _exit(0);
    usleep(50000);
    waitid(P_ALL, 0, &si, WSTOPPED | WNOHANG);
    waitid(P_ALL, 0, &si, WSTOPPED);
    waitpid(a, &st, 0);
    /* D: wait4 with NULL status and WUNTRACED reports a stop */
    a = fork(); if (a == 0) { raise(SIGSTOP); _exit(0); }
    waitpid(a, NULL, WUNTRACED);
    kill(a, SIGKILL);
    waitpid(a, NULL, 0);
    /* E: subreaper: grandchild orphaned, adopted by us */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    a = fork();
    if (a == 0) { if (fork() == 0) { usleep(50000); _exit(5); } _exit(0); }
    waitpid(a, &st, 0);
    waitpid(-1, &st, WNOHANG);   /* 0: the grandchild is ours now */
    waitpid(-1, &st, 0);         /* the grandchild */
    return 0;
}
