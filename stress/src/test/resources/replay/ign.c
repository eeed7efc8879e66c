#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
    int st;
    if (argc > 1) { struct sigaction sa = {0}; sa.sa_handler = SIG_DFL; sa.sa_flags = SA_NOCLDWAIT; sigaction(SIGCHLD, &sa, 0); }
    else signal(SIGCHLD, SIG_IGN);
    pid_t a = fork();
    if (a == 0) _exit(3);
    usleep(100000);
    wait4(-1, &st, WNOHANG, NULL);  /* ECHILD: already auto-reaped */
    pid_t b = fork();
    if (b == 0) { usleep(50000); _exit(4); }
    wait4(-1, &st, 0, NULL);  /* blocks, ECHILD */
    wait4(b, &st, 0, NULL);
    return 0;
}
