/*
 * mprotect(2) with PROT_GROWSDOWN and PROT_GROWSUP on the kernel of this machine (6.18), the
 * reference for ProtGrowsTest: every case at a fixed place in an empty window; layouts as page
 * offsets from the case's base with rights and "gd" when VmFlags has it.
 * gcc -O1 -o prot-grows prot-grows.c && ./prot-grows > prot-grows.out
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#define PG 4096L
#define PROT_SEM 0x8
#define R(x) do{ errno=0; long _r=(long)(x); printf("%-72s = %s\n", #x, _r==-1? strerror(errno) : "0"); }while(0)
static void layout(const char* what, char* base, int n){
  FILE* f = fopen("/proc/self/smaps","r"); char line[512]; unsigned long s=0,e=0; char perm[8]; int in=0;
  printf("  %s:", what);
  while (fgets(line, sizeof line, f)) {
    unsigned long a,b; char p[8];
    if (sscanf(line, "%lx-%lx %7s", &a, &b, p) == 3 && line[0] != 'V') {
      in = a < (unsigned long)base + n*PG && b > (unsigned long)base; s=a; e=b; strcpy(perm,p); continue; }
    if (in && !strncmp(line, "VmFlags:", 8))
      printf(" [%ld,%ld)%s%s%s", (long)(s-(unsigned long)base)/PG, (long)(e-(unsigned long)base)/PG, perm,
             strstr(line," gd")?" gd":"", strstr(line," sl")?" sealed":"");
  }
  printf("\n"); fclose(f);
}
static char* w; /* the window: 1024 pages, nothing mapped */
static char* at(int page, int n, int prot, int flags){
  return mmap(w + page*PG, n*PG, prot, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED|flags, -1, 0); }
#define RW (PROT_READ|PROT_WRITE)
#define GD PROT_GROWSDOWN
#define GU PROT_GROWSUP
int main(){
  setvbuf(stdout, 0, _IONBF, 0);
  w = mmap(0, 1024*PG, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0); munmap(w, 1024*PG);

  printf("== arguments\n");
  char* a = at(0, 4, RW, MAP_GROWSDOWN);
  R(mprotect(a+PG, PG, PROT_READ|GD|GU));
  R(mprotect(a+1, PG, PROT_READ|GD|GU));
  R(mprotect(a+1, PG, PROT_READ|GD));
  R(mprotect(a+PG, 0, PROT_READ|GD));
  R(mprotect(a+PG, 0, PROT_READ|GD|GU));
  R(mprotect(a+PG, -PG*2, PROT_READ|GD));
  R(mprotect(a+PG, PG, 0x10|GD));
  R(mprotect(a+PG, PG, PROT_SEM|PROT_READ|GD));
  layout("a", a, 4);

  printf("== PROT_GROWSDOWN from inside a grows-down area\n");
  R(mprotect(a+2*PG, PG, PROT_READ|GD));
  layout("a", a, 4);
  R(mprotect(a+3*PG, PG, RW|GD));
  layout("a", a, 4);
  R(mprotect(a+3*PG, PG, PROT_READ));
  layout("a", a, 4);
  R(mprotect(a+3*PG, PG, PROT_NONE|GD));
  layout("a", a, 4);
  R(mprotect(a+PG, PG, RW|GD));
  layout("a", a, 4);

  printf("== PROT_GROWSDOWN on areas that do not grow down\n");
  char* b = at(8, 4, RW, 0);
  R(mprotect(b+PG, PG, PROT_READ|GD));
  R(mprotect(b, PG, PROT_READ|GD));
  layout("b", b, 4);
  char* c = at(16, 2, RW, 0); at(18, 2, RW, MAP_GROWSDOWN);
  R(mprotect(c+PG, 2*PG, PROT_READ|GD));
  layout("c", c, 4);
  R(mprotect(c+2*PG, PG, PROT_READ|GD));
  layout("c", c, 4);

  printf("== PROT_GROWSDOWN with a start in the hole below\n");
  char* d = at(26, 2, RW, MAP_GROWSDOWN);
  R(mprotect(d-4*PG, 2*PG, PROT_READ|GD));
  R(mprotect(d-4*PG, 4*PG, PROT_READ|GD));
  layout("d", d-4*PG, 6);
  R(mprotect(d-4*PG, 5*PG, PROT_READ|GD));
  layout("d", d-4*PG, 6);
  R(mprotect(d-PG, 2*PG, PROT_NONE|GD));
  layout("d", d-4*PG, 6);
  char* d2 = at(32, 2, RW, 0);
  R(mprotect(d2-2*PG, 3*PG, PROT_READ|GD));
  layout("d2", d2, 2);

  printf("== PROT_GROWSDOWN past the area's end\n");
  char* e = at(40, 2, RW, MAP_GROWSDOWN);
  R(mprotect(e+PG, 3*PG, PROT_READ|GD));
  layout("e", e, 4);
  at(42, 2, RW, 0);
  R(mprotect(e+PG, 4*PG, PROT_NONE|GD));
  layout("e", e, 5);
  at(44, 1, RW, MAP_GROWSDOWN);
  R(mprotect(e+PG, 5*PG, RW|GD));
  layout("e", e, 6);

  printf("== PROT_GROWSDOWN on a split grows-down area\n");
  char* f = at(50, 6, RW, MAP_GROWSDOWN);
  R(mprotect(f+2*PG, 2*PG, PROT_READ));
  layout("f", f, 6);
  R(mprotect(f+4*PG, PG, PROT_NONE|GD));
  layout("f", f, 6);
  R(mprotect(f+3*PG, PG, PROT_EXEC|PROT_READ|GD));
  layout("f", f, 6);
  R(mprotect(f+PG, 5*PG, RW|GD));
  layout("f", f, 6);

  printf("== PROT_GROWSUP\n");
  char* g = at(60, 2, RW, MAP_GROWSDOWN); at(62, 2, RW, 0);
  R(mprotect(g, PG, PROT_READ|GU));
  R(mprotect(g+2*PG, PG, PROT_READ|GU));
  R(mprotect(g-PG, 2*PG, PROT_READ|GU));
  R(mprotect(g+4*PG, PG, PROT_READ|GU));
  layout("g", g, 4);

  printf("== PROT_GROWSDOWN and mseal\n");
  char* h = at(70, 3, RW, MAP_GROWSDOWN);
  R(syscall(462, h, PG, 0));
  R(mprotect(h+2*PG, PG, PROT_READ|GD));
  layout("h", h, 3);
  R(mprotect(h+2*PG, PG, PROT_READ));
  layout("h", h, 3);

  printf("== a shared area cannot grow down; PROT_GROWSDOWN on shared memory\n");
  errno = 0;
  char* s = mmap(w + 80*PG, 2*PG, RW, MAP_SHARED|MAP_ANONYMOUS|MAP_FIXED|MAP_GROWSDOWN, -1, 0);
  printf("%-72s = %s\n", "mmap(w+80*PG, 2*PG, RW, MAP_SHARED|MAP_GROWSDOWN|...)", s == MAP_FAILED ? strerror(errno) : "0");
  s = mmap(w + 80*PG, 2*PG, RW, MAP_SHARED|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
  R(mprotect(s+PG, PG, PROT_READ|GD));
  layout("s", s, 2);
  return 0;
}
