#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/sched.h>
extern char **environ;
static char stk[65536];
static int q(void *a) { return 2; }
static int mid(void *a) {
    /* CLONE_PARENT from a clone child (exit_signal 0): the sibling gets exit_signal 0 too */
    clone(q, stk + 32768, CLONE_PARENT | SIGCHLD, 0);
    return 0;
}
int main(void) {
    int st;
    pid_t m = fork();
    if (m == 0) {
        /* CLONE_PARENT with SIGCHLD from a child whose exit_signal is SIGCHLD: sibling, our parent's child */
        clone(q, stk + 65536, CLONE_PARENT, 0);   /* no signal given: inherits SIGCHLD from us */
        _exit(0);
    }
    usleep(50000);
    waitpid(-1, &st, 0);
    waitpid(-1, &st, 0);
    waitpid(-1, &st, WNOHANG);
    pid_t c = clone(mid, stk + 65536, 0, 0);   /* exit_signal 0 */
    usleep(50000);
    waitpid(-1, &st, __WCLONE);
    waitpid(-1, &st, __WCLONE);
    waitpid(-1, &st, WNOHANG|__WALL);
    pid_t p; char *av[] = {"true", 0};
    posix_spawn(&p, "/bin/true", 0, 0, av, environ);
    waitpid(p, &st, 0);
    if (vfork() == 0) _exit(9);
    wait(&st);
    return 0;
}
