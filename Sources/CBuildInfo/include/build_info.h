/* What facelabel binary this is: the commit it was built from (for `facelabel env`). */
#ifndef FACELABEL_BUILD_INFO_H
#define FACELABEL_BUILD_INFO_H

/* The git commit of the sources, or "unknown" when the build ran outside a checkout. */
const char *facelabel_commit(void);

#endif
