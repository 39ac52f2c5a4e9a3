console.log(`hello from node as uid ${process.getuid()}`);
