// SPDX-License-Identifier: MIT
// Test-only stand-in for BSD/macOS <sys/event.h> on Linux: just the part of the kqueue API that
// framework/eddy/runtime/kqueue_reactor.cpp uses, implemented over epoll and eventfd in
// kqueue_shim.cpp. It lets the kqueue backend be compiled and run by the Linux test suite; it
// is not a kqueue emulation for general use (see kqueue_shim.cpp for what it models).
#pragma once

#include <stdint.h>
#include <time.h>

#define EVFILT_READ (-1)
#define EVFILT_WRITE (-2)
#define EVFILT_USER (-11)

#define EV_ADD 0x0001
#define EV_DELETE 0x0002
#define EV_ENABLE 0x0004
#define EV_DISABLE 0x0008
#define EV_ONESHOT 0x0010
#define EV_CLEAR 0x0020
#define EV_RECEIPT 0x0040
#define EV_EOF 0x8000
#define EV_ERROR 0x4000

#define NOTE_TRIGGER 0x01000000

struct kevent {
  uintptr_t ident;
  short filter;
  unsigned short flags;
  unsigned int fflags;
  intptr_t data;
  void* udata;
};

#define EV_SET(kevp, a, b, c, d, e, f) \
  do {                                  \
    struct kevent* ev_set_p_ = (kevp);  \
    ev_set_p_->ident = (a);             \
    ev_set_p_->filter = (b);            \
    ev_set_p_->flags = (c);             \
    ev_set_p_->fflags = (d);            \
    ev_set_p_->data = (e);              \
    ev_set_p_->udata = (f);             \
  } while (0)

#ifdef __cplusplus
extern "C" {
#endif

int kqueue(void);
int kevent(int kq, const struct kevent* changelist, int nchanges, struct kevent* eventlist,
           int nevents, const struct timespec* timeout);

#ifdef __cplusplus
}
#endif
