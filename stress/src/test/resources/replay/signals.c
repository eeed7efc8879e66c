/* Signals whose answers the trace alone cannot foretell (gcc -O1 -pthread -o /tmp/signals signals.c),
 * found by a review of the kill checks on real programs: each must be outside, not a mismatch. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int *sh;

static void *execs(void *arg) {
    (void)arg;
    sh[0] = (int)syscall(SYS_gettid);
    while (!sh[1]) {
    }
    execl("/bin/true", "true", (char *)NULL);
    return NULL;
}

int main(void) {
    pid_t me = getpid();
    /* RLIMIT_SIGPENDING: a queued real-time signal of tgkill (SI_TKILL) past it is EAGAIN */
    struct rlimit rl = {4, 4};
    setrlimit(RLIMIT_SIGPENDING, &rl);
    sigset_t rt;
    sigemptyset(&rt);
    sigaddset(&rt, SIGRTMIN + 2);
    sigprocmask(SIG_BLOCK, &rt, NULL);
    for (int i = 0; i < 8; i++) {
        syscall(SYS_tgkill, me, me, SIGRTMIN + 2);
    }
    /* SA_NOCLDWAIT: a child is reaped at its exit, never a zombie: ESRCH at once */
    struct sigaction sa = {0};
    sa.sa_handler = SIG_DFL;
    sa.sa_flags = SA_NOCLDWAIT;
    sigaction(SIGCHLD, &sa, NULL);
    pid_t c = fork();
    if (c == 0) {
        _exit(0);
    }
    usleep(100000);
    syscall(SYS_kill, c, 0);
    sa.sa_flags = 0;
    sigaction(SIGCHLD, &sa, NULL);
    /* a thread that is not the leader runs execve while another process signals it: its tid goes
     * (it takes the leader's) before strace says "superseded" */
    sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pid_t q = fork();
    if (q == 0) {
        while (!sh[0]) {
        }
        sh[1] = 1;
        int tid = sh[0];
        while (syscall(SYS_tgkill, me, tid, 0) == 0) {
        }
        syscall(SYS_kill, tid, 0);
        syscall(SYS_tkill, tid, 0);
        _exit(0);
    }
    pthread_t t;
    pthread_create(&t, NULL, execs, NULL);
    for (;;) {
        pause();
    }
}
