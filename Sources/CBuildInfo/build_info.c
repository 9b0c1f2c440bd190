#include "build_info.h"

/* Scripts/bootstrap.sh, which every make target runs, writes commit.h (not in git) with
 * `#define FACELABEL_COMMIT "<hash>"` whenever HEAD moves. */
#if __has_include("commit.h")
#include "commit.h"
#endif
#ifndef FACELABEL_COMMIT
#define FACELABEL_COMMIT "unknown"
#endif

const char *facelabel_commit(void) { return FACELABEL_COMMIT; }
