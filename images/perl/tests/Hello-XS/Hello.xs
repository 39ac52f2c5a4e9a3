#define PERL_NO_GET_CONTEXT
#include "EXTERN.h"
#include "perl.h"
#include "XSUB.h"

MODULE = Hello    PACKAGE = Hello

int
answer()
  CODE:
    RETVAL = 42;
  OUTPUT:
    RETVAL
