// `ledgerlake serve`: the lake as a service a team shares (the seed's Athena endpoint, IAM and CloudWatch in one
// process). An HTTP API (cpp-httplib) over the lake's views, answering with JSON:
//   GET  /healthz, GET /metrics                     no token
//   GET  /api/datasets                              the datasets the token's role may read, with their columns
//   POST /api/query {"sql", "as_of"?}               one read-only statement in the role's query sandbox
//   GET  /api/accounts/{id}/features                the online store (serve/feature_index.h)
//   GET  /api/runs?limit=N, GET /api/runs/{id}      the catalog's run records, newest first
//   POST /api/runs {"as_of"}                        (admin) the run job, in the background: 202 {"id"}
//   POST /api/ingest?table=T&name=F                 (admin) lands the body like `ledgerlake ingest`
// Requests carry `Authorization: Bearer <token>` (catalog/tokens.h); a token's role is admin (everything) or one
// the config declares with its grants (query/grants.h). docs/serve.md is the reference.
//
// What a request sees: the catalog is the truth, and the service follows it. Each request that reads the lake
// takes a read lease (lake/lake.h), then checks the catalog's files for a change (a stat); when there is one, the
// service re-reads the committed partitions and makes new views, so a query sees the partitions of one commit
// whole, the old ones or the new ones, and never a file a writer has deleted. Runs from the command line are
// seen the same way. The online store is rebuilt in the background after each commit and swapped in whole.
#pragma once

#include <memory>
#include <string>

#include "serve/config.h"
#include "util/status.h"

namespace ledgerlake::serve {

class Service {
 public:
  // Opens the lake at `lake_dir` (which must exist) for serving with `config`.
  static Result<std::unique_ptr<Service>> Open(const std::string& lake_dir, ServeConfig config);
  ~Service();

  // Binds config.host:config.port (port 0: a free port) and returns the port. IOError when it cannot.
  Result<int> Bind();
  // Serves until Shutdown(), then waits for in-flight requests and a running run to finish.
  Status Serve();
  // Stops accepting connections; Serve() then returns. Safe from any thread (not from a signal handler).
  void Shutdown();

 private:
  struct Impl;
  explicit Service(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Runs the service until SIGTERM or SIGINT: the `serve` command. Logs one JSON line per event on stderr.
// Returns the process exit status: 0 after a clean stop, 1 when the service could not start.
int RunService(const std::string& lake_dir, ServeConfig config);

}  // namespace ledgerlake::serve
