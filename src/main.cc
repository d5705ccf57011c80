// ledgerlake: raw billing extracts in, point-in-time payment features out. See README.md.
#include "cli/app.h"

int main(int argc, char** argv) { return ledgerlake::cli::Main(argc, argv); }
