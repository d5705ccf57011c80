// A `ledgerlake serve` process for end-to-end tests: started on a free loopback port (the service picks it;
// the test reads it from the service's "listening" log line), driven over HTTP, stopped with a signal.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace ledgerlake::e2e {

class ServiceProcess {
 public:
  // Starts `ledgerlake --lake <lake> serve --listen 127.0.0.1:0 <extra...>` and waits (up to 30 s) until it
  // listens. ok() is false when it exited first (exit_code() and log() say why).
  // `env`: NAME=VALUE settings added to its environment (LEDGERLAKE_CLOCK, for one).
  ServiceProcess(const std::string& lake, const std::string& log_path, const std::vector<std::string>& extra = {},
                 const std::vector<std::string>& env = {});
  ~ServiceProcess();  // SIGKILL when still running

  bool ok() const { return port_ > 0; }
  int port() const { return port_; }
  std::string log() const;
  // Sends `signal` and waits (up to `seconds`) for the process to exit; its exit status, or -1 on timeout.
  int Stop(int signal, double seconds = 60);
  int exit_code() const { return exit_code_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  int exit_code_ = -1;
  std::string log_path_;
};

}  // namespace ledgerlake::e2e
