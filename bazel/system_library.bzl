"""A repository rule that wraps Debian's system libraries as cc_library targets.

Compile and link flags come from pkg-config at fetch time, so a Debian point release that
adds or renames an Abseil library behind gRPC needs no edit here. `--static` is always
asked for: the list is a superset that a dynamic link resolves against the .so files, and
a binary linked with `-static` resolves against the .a files.
"""

def _run(rctx, args):
    result = rctx.execute(args)
    if result.return_code != 0:
        fail("`%s` failed: %s%s" % (" ".join(args), result.stdout, result.stderr))
    return result.stdout.strip()

def _system_library_impl(rctx):
    pkg_config = rctx.which("pkg-config")
    if pkg_config == None:
        fail("pkg-config not found: apt-get install pkg-config")
    targets = []
    for name, modules in rctx.attr.modules.items():
        modules = [m for m in modules.split(" ") if m]
        cflags = _run(rctx, [str(pkg_config), "--cflags"] + modules).split(" ")
        libs = _run(rctx, [str(pkg_config), "--static", "--libs"] + modules).split(" ")
        defines = [f[2:] for f in cflags if f.startswith("-D")]
        includes = []
        for i, flag in enumerate([f for f in cflags if f.startswith("-I")]):
            path = flag[2:]
            if path in ["/usr/include", "/usr/local/include"]:
                continue
            link = "include_%s_%d" % (name, i)
            rctx.symlink(path, link)
            includes.append(link)
        # Libraries Debian ships without a .pc file of their own (grpc++_reflection).
        linkopts = rctx.attr.extra_linkopts.get(name, "").split(" ") + libs
        linkopts = [f for f in linkopts if f]
        targets.append("""
cc_library(
    name = "{name}",
    defines = {defines},
    includes = {includes},
    linkopts = {linkopts},
    deps = {deps},
)
""".format(
            name = name,
            defines = repr(defines),
            includes = repr(includes),
            linkopts = repr(linkopts),
            deps = repr([":" + d for d in rctx.attr.deps.get(name, "").split(" ") if d]),
        ))
    rctx.file("WORKSPACE", 'workspace(name = "%s")\n' % rctx.name)
    rctx.file("BUILD.bazel", 'package(default_visibility = ["//visibility:public"])\n' + "".join(targets))

system_library = repository_rule(
    implementation = _system_library_impl,
    attrs = {
        # target name -> space-separated pkg-config modules
        "modules": attr.string_dict(mandatory = True),
        # target name -> space-separated -l flags put before pkg-config's
        "extra_linkopts": attr.string_dict(),
        # target name -> space-separated other targets of this repository it depends on
        "deps": attr.string_dict(),
    },
    environ = ["PKG_CONFIG_PATH"],
    local = True,
)
