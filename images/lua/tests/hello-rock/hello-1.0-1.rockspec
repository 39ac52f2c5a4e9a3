package = "hello"
version = "1.0-1"
source = { url = "." }
description = { summary = "A C module that answers 42", license = "MIT" }
dependencies = {}
build = {
  type = "builtin",
  modules = { hello = "hello.c" },
}
