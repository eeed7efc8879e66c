/* ftruncate of a mapped memfd: what TruncateTest.theKernelsAnswers expects (gcc -O0 -o /tmp/truncate docs/linux/truncate.c && /tmp/truncate; output: truncate.out, then uname -r) */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include <signal.h>
#include <setjmp.h>
static sigjmp_buf jb; static void bus(int s){(void)s; siglongjmp(jb,1);}
static void show(const char *what, volatile long *p){ if(sigsetjmp(jb,1)) { printf("%s=SIGBUS\n", what); return; } long v=*p; printf("%s=%ld\n", what, v); }
int main(){
  signal(SIGBUS,bus);
  long P=4096, W=P/8; int fd=memfd_create("t",0); ftruncate(fd, 2*P+100);
  long *s=mmap(0,4*P,PROT_READ|PROT_WRITE,MAP_SHARED,fd,0);
  long *p=mmap(0,4*P,PROT_READ|PROT_WRITE,MAP_PRIVATE,fd,0);
  s[0]=1; s[W]=2; s[W+1]=5; s[2*W]=3; s[2*W+50]=4;
  p[W]=22;
  show("s 2P+400", &s[2*W+50]);
  ftruncate(fd, P+8);
  show("shrunk P+8: s P", &s[W]); show("s P+8", &s[W+1]); show("p P", &p[W]); show("p P+8", &p[W+1]); show("s 2P", &s[2*W]); show("p 2P", &p[2*W]);
  ftruncate(fd, 3*P);
  show("grown 3P: s P+8", &s[W+1]); show("s 2P", &s[2*W]); show("s 2P+400", &s[2*W+50]); show("p P", &p[W]); show("p 2P", &p[2*W]);
  ftruncate(fd, 100); s[100]=77;
  ftruncate(fd, P); show("tail 800 written past EOF 100, then grown", &s[100]);
  ftruncate(fd, 100); s[100]=77; ftruncate(fd, 100);
  ftruncate(fd, P); show("tail 800 written past EOF 100, then the same size, then grown", &s[100]);
  return 0;
}
