// ledgerlake: raw billing extracts in, point-in-time payment features out. See README.md.
#include "cli/app.h"
#include "util/huge_pages.h"

int main(int argc, char** argv) {
  ledgerlake::UseHugePages(argv);  // may restart the process, before anything else happens (util/huge_pages.h)
  return ledgerlake::cli::Main(argc, argv);
}
