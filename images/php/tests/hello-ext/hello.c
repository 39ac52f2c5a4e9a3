/* A PHP extension with one function, hello_answer(): 42. Builds against PHP 7.4 to 8.4. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "php.h"

ZEND_BEGIN_ARG_INFO_EX(arginfo_hello_answer, 0, 0, 0)
ZEND_END_ARG_INFO()

PHP_FUNCTION(hello_answer)
{
    ZEND_PARSE_PARAMETERS_NONE();
    RETURN_LONG(42);
}

static const zend_function_entry hello_functions[] = {
    PHP_FE(hello_answer, arginfo_hello_answer)
    PHP_FE_END
};

zend_module_entry hello_module_entry = {
    STANDARD_MODULE_HEADER,
    "hello",
    hello_functions,
    NULL, NULL, NULL, NULL, NULL,
    "1.0",
    STANDARD_MODULE_PROPERTIES
};

ZEND_GET_MODULE(hello)
