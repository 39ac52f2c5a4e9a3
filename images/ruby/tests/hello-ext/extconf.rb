require "mkmf"
create_makefile("hello")
