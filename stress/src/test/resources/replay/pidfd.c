#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
int main(void) {
    int st; siginfo_t si;
    pid_t a = fork(); if (a == 0) { usleep(50000); _exit(0); }
    int fd = syscall(SYS_pidfd_open, a, 0);
    waitid(P_ALL, 0, &si, WEXITED | WNOHANG);   /* nothing yet */
    waitid(P_PIDFD, fd, &si, WEXITED);
    waitpid(-1, &st, WNOHANG);  /* ECHILD */
    return 0;
}
