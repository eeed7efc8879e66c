/*
 * msync(2) and mincore(2) on the kernel of this machine (6.18), the reference for MsyncMincoreTest:
 * their results at fixed places in an empty window (holes, locked areas, files, the edges of user
 * space), and mincore's vector. gcc -O1 -o msync msync.c && ./msync > msync.out
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/auxv.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <fcntl.h>
#include <errno.h>
#include <string.h>
#define PG 4096L
#define R(x) do{ errno=0; long _r=(long)(x); printf("%-72s = %s\n", #x, _r==-1? strerror(errno) : "0"); }while(0)
static unsigned char v[64];
static void vec(int n){ printf("  vec:"); for(int i=0;i<n;i++) printf(" %d", v[i]); printf("\n"); }
static char* w;
static char* at(int page, int n, int prot, int flags){
  return mmap(w + page*PG, n*PG, prot, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED|flags, -1, 0); }
#define RW (PROT_READ|PROT_WRITE)
int main(){
  setvbuf(stdout, 0, _IONBF, 0);
  w = mmap(0, 1024*PG, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0); munmap(w, 1024*PG);
  char* a = at(0, 4, RW, 0); at(6, 2, RW, 0); at(8, 2, PROT_NONE, 0);   /* [0,4) hole [6,10) */

  printf("== msync: arguments\n");
  R(msync(a, PG, 0x8));
  R(msync(a, PG, MS_ASYNC|MS_SYNC));
  R(msync(a+1, PG, MS_SYNC));
  R(msync(a, 0, MS_SYNC));
  R(msync(a+1, 0, MS_SYNC));
  R(msync(a, 0, 0x8));
  R(msync(a, -PG*2, MS_SYNC));
  R(msync(a, -1L, MS_ASYNC));
  R(msync(a, 1, MS_SYNC));
  R(msync(a, 4*PG, 0));
  R(msync(a, 4*PG, MS_ASYNC));
  R(msync(a, 4*PG, MS_SYNC));
  R(msync(a, 4*PG, MS_INVALIDATE));
  R(msync(a, 4*PG, MS_ASYNC|MS_INVALIDATE));
  R(msync(a, 4*PG, MS_SYNC|MS_INVALIDATE));
  R(msync(a+8*PG, 2*PG, MS_SYNC));

  printf("== msync: holes\n");
  R(msync(a, 6*PG, MS_ASYNC));
  R(msync(a, 8*PG, MS_ASYNC));
  R(msync(a, 8*PG, MS_SYNC));
  R(msync(a, 8*PG, 0));
  R(msync(a+4*PG, 4*PG, MS_ASYNC));
  R(msync(a+4*PG, 4*PG, MS_SYNC));
  R(msync(a+4*PG, 4*PG, 0));
  R(msync(a+4*PG, 4*PG, MS_ASYNC|MS_INVALIDATE));
  R(msync(a+4*PG, 2*PG, MS_SYNC));
  R(msync(a+10*PG, 2*PG, MS_SYNC));
  R(msync(a+8*PG, 4*PG, MS_SYNC));
  R(msync((void*)0x7ffffffff000L, PG, MS_SYNC));
  R(msync((void*)0x800000000000L, PG, MS_SYNC));
  R(msync((void*)0xfffffffffffff000L, PG, MS_SYNC));

  printf("== msync: locked areas\n");
  char* l = at(20, 4, RW, 0);
  R(mlock(l+2*PG, PG));
  R(msync(l, 4*PG, MS_SYNC));
  R(msync(l, 4*PG, MS_INVALIDATE));
  R(msync(l, 2*PG, MS_INVALIDATE));
  R(msync(l+2*PG, PG, MS_ASYNC|MS_INVALIDATE));
  R(msync(l-2*PG, 6*PG, MS_INVALIDATE));
  R(msync(l-2*PG, 6*PG, MS_ASYNC));
  R(msync(l, 8*PG, MS_INVALIDATE));
  R(msync(l+3*PG, 3*PG, MS_INVALIDATE));
  R(mlock2(l+3*PG, PG, MLOCK_ONFAULT));
  R(msync(l+3*PG, PG, MS_SYNC|MS_INVALIDATE));
  R(munlock(l, 4*PG));
  R(msync(l, 4*PG, MS_INVALIDATE));

  printf("== msync: files and special mappings\n");
  int fd = open("/tmp/msync-file", O_RDWR|O_CREAT|O_TRUNC, 0600); ftruncate(fd, 3*PG);
  char* f = mmap(w + 30*PG, 4*PG, RW, MAP_SHARED|MAP_FIXED, fd, 0);
  R(f == MAP_FAILED ? -1 : 0);
  R(msync(f, 4*PG, MS_SYNC));
  R(msync(f, 6*PG, MS_SYNC));
  R(msync(f+3*PG, PG, MS_SYNC|MS_INVALIDATE));
  char* fp = mmap(w + 36*PG, 2*PG, RW, MAP_PRIVATE|MAP_FIXED, fd, 0);
  R(msync(fp, 2*PG, MS_SYNC));
  char* vdso = (char*)getauxval(AT_SYSINFO_EHDR);
  R(msync(vdso, PG, MS_SYNC|MS_INVALIDATE));
  R(msync(vdso - 4*PG, 4*PG, MS_SYNC));

  printf("== mincore: arguments\n");
  R(mincore(a+1, PG, v));
  R(mincore(a, 0, v));
  R(mincore(a+1, 0, v));
  R(mincore(a, -PG, v));
  R(mincore(a, PG, (void*)0xffff800000000000L));
  R(mincore(a+1, PG, (void*)0xffff800000000000L));
  R(mincore(a+4*PG, PG, (void*)0xffff800000000000L));
  R(mincore(a, PG, NULL));
  R(mincore(a+4*PG, PG, NULL));
  R(mincore(a, PG, (void*)(w + 100*PG)));
  R(mincore(a, 1, v));
  R(mincore((void*)0x7ffffffff000L, PG, v));
  R(mincore((void*)0x7fffffffe000L, 2*PG, v));
  R(mincore((void*)0x800000000000L, PG, v));
  R(mincore((void*)0x7ffffffff000L, 0, v));
  R(mincore((void*)0x800000000000L, 0, v));

  printf("== mincore: holes and residency\n");
  memset(v, 9, sizeof v);
  R(mincore(a, 4*PG, v)); vec(5);
  a[PG] = 1; a[3*PG] = 1;
  R(mincore(a, 4*PG, v)); vec(5);
  memset(v, 9, sizeof v);
  R(mincore(a, 6*PG, v)); vec(7);
  memset(v, 9, sizeof v);
  R(mincore(a+4*PG, 4*PG, v)); vec(5);
  R(mincore(a+6*PG, 4*PG, v)); vec(5);
  a[6*PG] = 1;
  R(mprotect(a+6*PG, PG, PROT_NONE));
  R(mincore(a+6*PG, 4*PG, v)); vec(5);
  R(madvise(a, 4*PG, MADV_DONTNEED));
  R(mincore(a, 4*PG, v)); vec(5);
  R(mlock(l, PG));
  R(mincore(l, 4*PG, v)); vec(5);
  R(mlock2(l+PG, PG, MLOCK_ONFAULT));
  R(mincore(l, 4*PG, v)); vec(5);
  char* sh = mmap(w + 40*PG, 3*PG, RW, MAP_SHARED|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
  sh[0] = 1;
  R(mincore(sh, 3*PG, v)); vec(4);
  pid_t c = fork();
  if (c == 0) { _exit(0); }
  R(mincore(a, 4*PG, v)); vec(5);
  munmap(f, 4*PG);
  int fd2 = open("/tmp/msync-file2", O_RDWR|O_CREAT|O_TRUNC, 0600); ftruncate(fd2, 3*PG + 100);
  char* g = mmap(w + 50*PG, 6*PG, PROT_READ, MAP_SHARED|MAP_FIXED, fd2, 0);
  R(mincore(g, 6*PG, v)); vec(7);
  pwrite(fd2, "x", 1, PG);
  R(mincore(g, 6*PG, v)); vec(7);
  volatile char x = g[2*PG]; (void)x;
  R(mincore(g, 6*PG, v)); vec(7);
  char* gp = mmap(w + 60*PG, 4*PG, RW, MAP_PRIVATE|MAP_FIXED, fd2, 0);
  R(mincore(gp, 4*PG, v)); vec(5);
  gp[3*PG] = 1;
  R(mincore(gp, 4*PG, v)); vec(5);
  R(mincore(vdso, PG, v)); vec(2);
  R(mincore(vdso - 4*PG, 4*PG, v)); vec(5);
  return 0;
}
