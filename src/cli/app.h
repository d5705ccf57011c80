// The ledgerlake command line (docs/cli.md): parses arguments with CLI11, calls lake/, catalog/,
// gen/ and duck/, prints results. Exit status: 0 success, 1 failure (one line on stderr), 2 usage error.
#pragma once

namespace ledgerlake::cli {

int Main(int argc, char** argv);

}  // namespace ledgerlake::cli
