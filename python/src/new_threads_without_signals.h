// While one lives, the calling thread blocks the asynchronous signals, so the threads it starts (the
// producer's driver, the outbox's thread, ZeroMQ's I/O threads) inherit a mask without them; the
// destructor restores the caller's mask. Python runs its signal handlers on the main thread only,
// but the kernel delivers a process-directed SIGTERM to any thread that does not block it: landing
// on a C++ thread, it would leave the main thread asleep (time.sleep) and the handler unrun. The
// C++ producers do the same (producers/producer_program.h: signals blocked before the runtime starts).
#ifndef ESPER_PYTHON_SRC_NEW_THREADS_WITHOUT_SIGNALS_H_
#define ESPER_PYTHON_SRC_NEW_THREADS_WITHOUT_SIGNALS_H_

#include <pthread.h>
#include <signal.h>

namespace esper::python {

class NewThreadsWithoutSignals {
 public:
  NewThreadsWithoutSignals() {
    sigset_t blocked;
    sigfillset(&blocked);
    // Synchronous signals belong to the thread that caused them; blocking them changes nothing useful.
    for (int signo : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS}) sigdelset(&blocked, signo);
    pthread_sigmask(SIG_BLOCK, &blocked, &previous_);
  }
  ~NewThreadsWithoutSignals() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }
  NewThreadsWithoutSignals(const NewThreadsWithoutSignals&) = delete;
  NewThreadsWithoutSignals& operator=(const NewThreadsWithoutSignals&) = delete;

 private:
  sigset_t previous_;
};

}  // namespace esper::python

#endif  // ESPER_PYTHON_SRC_NEW_THREADS_WITHOUT_SIGNALS_H_
