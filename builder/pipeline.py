"""The run as a pipeline of stages, each taking what the one before it gave:

    render → identify → decide → build → test → publish (by digest, and attest) → index → report

render writes each image's Dockerfile and context; identify gives each its build inputs (so its
build id); decide gathers the facts about each image once and decides what to do with it
(builder.decide); build, test and publish carry out their part of each decision and return what
they did as outcomes, which the next stage takes (an image that failed goes no further); index
points the tags at an index of each image's platforms once they all passed; report writes the
table. `plan` stops after decide and changes nothing; `index` alone (assemble) points the tags
at what the platforms' jobs pushed by digest."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from builder import attest, bases, build, buildid, decide, labels, ledger, publish, render, report, smoketest
from builder.buildid import Inputs
from builder.decide import Decision, Facts, Kind
from builder.errors import BuildError, HostError, PublishError, SmokeTestError
from builder.run import Outcome, Outcomes, Run
from builder.seams import Engine
from builder.state import State
from builder.targets import Target, full_tags


def render_stage(run: Run, *, write: bool = True) -> dict[str, render.Rendered]:
    """Each target's Dockerfile and context, written to out/render/<id>/ unless only planning."""
    rendered = {target.id: render.render(target, run.catalog) for target in run.targets}
    if write:
        for target in run.targets:
            render.write(rendered[target.id], run.context(target))
    return rendered


def identify_stage(run: Run, rendered: dict[str, render.Rendered], engine: Engine | None) -> dict[str, Inputs]:
    """Each target's build inputs, hence its build id. A bootstrapped base counts by its recipe, so
    nothing is bootstrapped to know an id (a base pulled by reference is pulled, if there is an engine)."""
    for name in sorted({target.base for target in run.targets}):
        if engine and not run.catalog.bases[name].bootstrapped:
            bases.ensure(engine, run.catalog.bases[name], run.log)
    indexes = {(run.catalog.bases[target.base], target.platform.debian) for target in run.targets}
    with ThreadPoolExecutor(max_workers=len(indexes) or 1) as pool:  # each suite's index, asked of the mirror at once
        list(pool.map(lambda index: buildid.packages_digest(*index), indexes))
    inputs = {}
    for target in run.targets:
        base = run.catalog.bases[target.base]
        identity = bases.identity(base, engine, target.platform)
        tests = smoketest.tests_digest(target)
        inputs[target.id] = buildid.inputs(rendered[target.id], identity, base, tests, target.platform)
    return inputs


def decide_stage(run: Run, inputs: dict[str, Inputs], engine: Engine | None, *, record: bool) -> dict[str, Decision]:
    """The facts about every target, gathered once, and what to do with each (and why); recorded in
    each image's record unless only planning."""
    facts = decide.gather(run.targets, inputs, run.store, engine, registry=run.registry, ask=run.ask_registry)
    decisions = decide.decide_all(run.targets, inputs, facts, nocache=run.nocache)
    if record:
        for decision in decisions.values():
            state = run.store.get(decision.target.id)
            run.store.put(state.evolve(decision=f"{decision.kind}: {decision.reason}"))
    return decisions


def build_stage(run: Run, decisions: dict[str, Decision]) -> list[Outcome]:
    """Build what is decided to be built, adopt what the engine holds, take the registry's record
    of what it serves; leave the rest as it is."""
    if run.apt_proxy and any(d.kind is Kind.BUILD for d in decisions.values()):
        run.log.info(f"packages come through the cache at {run.apt_proxy}")

    def one(decision: Decision) -> str | None:
        target = decision.target
        if decision.kind is Kind.BUILD:
            with run.one_at_a_time:
                base = run.catalog.bases[target.base]
                bases.ensure(run.engine, base, run.log, proxy=run.apt_proxy, platform=target.platform)
            with run.log.file(target.id) as log_file:
                build.build(
                    run.engine,
                    run.catalog,
                    target,
                    context=run.context(target),
                    store=run.store,
                    log_file=log_file,
                    inputs=decision.inputs,
                    nocache=run.nocache or not build.cache_is_current(decision.facts.images, decision.inputs),
                    proxy=run.apt_proxy,
                )
            return None
        if decision.kind is Kind.ADOPT:
            build.adopt(run.engine, target, run.store, decision.facts.held[0], decision.inputs)
            return "unchanged: the engine holds an image of this build id"
        if decision.published:
            run.store.put(decide.recorded(decision, run.registry, run.store.get(target.id)))
            return f"unchanged: {run.registry.repository(target.language)}:{target.tags[0]} serves this build id"
        return "unchanged since it was built"

    return run.each("build", one, decisions.values())


def test_stage(run: Run, decisions: dict[str, Decision], earlier: Outcomes) -> list[Outcome]:
    """Test what is new or untested here (and run images whose dev image is new: their pair tests
    use it); tag what passes for publishing."""

    toolchain = (run.catalog.toolchain("compiler"), run.catalog.toolchain("package-manager"))

    def one(decision: Decision) -> str | None:
        target = decision.target
        if decision.kind not in (Kind.BUILD, Kind.ADOPT, Kind.TEST):
            return "passed before it was published" if decision.published else "passed before, unchanged"
        for needed in (target.id, *target.parents):
            fetch(run, needed)
        state = run.store.get(target.id)
        if not state.image_id or state.build_id != decision.build_id:
            raise BuildError(f"{target.id} is not built: run `python -m builder build {target.id}` first")
        state = smoketest.smoke_test(run.engine, target, run.store, toolchain)
        if not state.passed:
            failed = [t for t in state.tests if not t.ok]
            details = "\n".join(f"{t.name}: {t.detail}" for t in failed)
            raise SmokeTestError(f"{target.id}: {len(failed)} test(s) failed; not tagged:\n{details}")
        return None

    return run.each("test", one, publishable(decisions), earlier)


def publish_stage(run: Run, decisions: dict[str, Decision], earlier: Outcomes, *, tags: bool = True) -> list[Outcome]:
    """Push what passed and the registry does not hold yet, each image by digest under its own tag,
    with its SBOM and provenance; then (unless only by digest: the nightly's platform jobs) point
    the tags of each language version's variant whose every platform passed (index_stage)."""
    run.start_registry()
    try:
        run.registry.ping()
        down = None
    except HostError as error:
        down = error  # every image fails at once, and nothing counts as pushed

    def one(decision: Decision) -> str | None:
        if down:
            raise down
        target = decision.target
        if decision.published:  # attached, unless its record says not (a run stopped before)
            attested = attach(run, target, pull=False)  # a fresh machine takes what the registry holds
            return None if attested else "already published, unchanged"
        with run.log.file(target.id) as log_file:
            state, pointed = publish.publish(run.engine, target, run.store, run.registry, log_file)
        moments = [ledger.Entry(t, d, state.build_id, ledger.now(), target.platform.name) for t, d in pointed]
        ledger.append(run.registry, target.language, target.version.version, moments)
        attested = attach(run, target)
        return None if pointed or attested else "already pushed, unchanged"

    # a failed push leaves the other images' pushes alone: no image needs another one pushed
    pushes = run.each(f"push to {run.registry.host}", one, publishable(decisions), earlier, parents_first=False)
    if not tags:
        return pushes
    return pushes + index_stage(run, decisions, earlier + pushes)


def index_stage(run: Run, decisions: dict[str, Decision], earlier: Outcomes) -> list[Outcome]:
    """Point the tags of each language version's variant (its images on every platform this run
    works on) at an index of its platforms' images, once every one of them has passed and is pushed
    (the platforms it does not work on keep their entries). A platform that failed leaves the tags
    as they were."""
    groups: dict[tuple[str, str, str], list[Decision]] = {}
    for decision in publishable(decisions):
        groups.setdefault(_image(decision.target), []).append(decision)

    def one(lead: Decision) -> str | None:
        group = groups[_image(lead.target)]
        failed = [d.target.id for d in group if earlier.failure(d.target.id)]
        if failed:
            raise PublishError(f"tags not moved: {', '.join(failed)} failed; they serve what they served")
        states = [run.store.get(d.target.id) for d in group if d.kind is not Kind.PUBLISHED]
        if not states:
            return "already published, unchanged"
        by_id = {d.target.id: d.target for d in group}
        images = [publish.Pushed(by_id[s.id], s.digest, s.tags, s.build_id) for s in states]
        return _point(run, images, [d.target for d in group])

    # each group's first image that did not fail speaks for it (a group whose every image failed has nothing to say)
    firsts = (next((d for d in g if not earlier.failure(d.target.id)), None) for g in groups.values())
    leads = [d for d in firsts if d is not None]
    outcomes = run.each("index", one, leads, earlier, parents_first=False)
    return _each_platform(
        run, outcomes, {d.target.id: [m.target for m in groups[_image(d.target)]] for d in leads}, earlier
    )


def assemble(run: Run) -> list[Outcome]:
    """`index`, the nightly's last job: point the tags of each language version's variant at an
    index of its images on every platform selected, found in the registry by their build id under
    their own tags, where the platforms' jobs pushed them by digest (`push --by-digest`); tags whose
    images are not all there are left as they were."""
    run.start_registry()
    inputs = identify_stage(run, render_stage(run, write=False), None)
    groups: dict[tuple[str, str, str], list[Target]] = {}
    for target in run.targets:
        groups.setdefault(_image(target), []).append(target)

    def one(lead: Decision) -> str | None:
        images, missing = [], []
        for target in groups[_image(lead.target)]:
            build_id = inputs[target.id].build_id
            found = ledger.own_image(
                run.registry,
                target.language,
                version=target.version.version,
                suffix=target.suffix,
                platform=target.platform,
                build_id=build_id,
            )
            if found is None:
                missing.append(target.platform.name)
                continue
            version = found[1].labels.get(labels.VERSION, "")
            images.append(publish.Pushed(target, found[1].digest, full_tags(target, version), build_id))
        if missing:
            raise PublishError(
                f"tags not moved: no image of this build pushed for {', '.join(missing)} (its job failed or never ran)"
            )
        return _point(run, images, groups[_image(lead.target)])

    leads = [Decision(g[0], Kind.PUSH, (), inputs[g[0].id], Facts(State(g[0].id))) for g in groups.values()]
    outcomes = run.each("index", one, leads, parents_first=False)
    return _each_platform(run, outcomes, {g[0].id: g for g in groups.values()}, Outcomes())


def _each_platform(
    run: Run, outcomes: list[Outcome], groups: dict[str, list[Target]], earlier: Outcomes
) -> list[Outcome]:
    """The outcome of pointing a group's tags (its lead's) is each of its images' (but those that
    failed before: their records keep their own failure)."""
    out = []
    for outcome in outcomes:
        others = [t.id for t in groups[outcome.target] if t.id != outcome.target and not earlier.failure(t.id)]
        out += [outcome, *(run.record(dataclasses.replace(outcome, target=other)) for other in others)]
    return out


def _image(target: Target) -> tuple[str, str, str]:
    """What one tag names on every platform: a language version's variant."""
    return target.language, target.version.version, target.variant


def _point(run: Run, images: list[publish.Pushed], group: list[Target]) -> str | None:
    """Point the tags of images (one language version's variant, by platform) at an index of them;
    the ledger, and the record of each image of the group where this machine has one (those
    published before too: the index names them), take the tags moved."""
    lead = images[0].target
    with run.log.file(lead.id) as log_file:
        moved = publish.point(run.registry, lead.language, images, log_file)
    moments = [
        ledger.Entry(tag, image.digest, image.build_id, ledger.now(), image.target.platform.name, moved[tag])
        for image in images
        for tag in image.tags
        if tag in moved
    ]
    ledger.append(run.registry, lead.language, lead.version.version, moments)
    repository = run.registry.repository(lead.language)
    for target in group:
        state = run.store.get(target.id)
        if state.digest and state.tags and state.tags[0] in moved:
            pushed = {**state.pushed, **{f"{repository}:{tag}": state.digest for tag in state.tags}}
            run.store.put(state.evolve(pushed=pushed, index=moved[state.tags[0]]))
    return None if moved else "every tag serves an index of these images already"


def attach(run: Run, target: Target, *, pull: bool = True) -> bool:
    """Attach target's SBOM and provenance to what its record says it pushed, unless the record says
    they are attached to it already (or, not to pull, the image is not here); whether it did."""
    state = run.store.get(target.id)
    repository = run.registry.repository(target.language)
    digest = state.digest
    done = f"{repository}@{digest}"  # attachments are the repository's: the same image elsewhere has none
    if not digest or state.attested == done or not (pull or run.engine.image_id(state.image_id)):
        return False
    if not pull and attest.attached(run.registry, target.language, digest):  # by another run, another folder
        run.store.put(state.evolve(attested=done))
        return False
    fetch(run, target.id)
    attest.attest(run.engine, target, run.store, run.registry, run.out, digest=digest)
    run.store.put(run.store.get(target.id).evolve(attested=done))
    return True


def report_stage(run: Run) -> None:
    rows = report.rows(run.targets, {target.id: run.store.get(target.id) for target in run.targets})
    written = report.write(rows, run.out)
    run.log.info("\n" + report.table(rows))
    run.log.info("report: " + ", ".join(str(path) for path in written))


def publishable(decisions: dict[str, Decision]) -> Iterable[Decision]:
    """The decisions about images that are tested and published (not the fat comparators)."""
    return [decision for decision in decisions.values() if not decision.target.comparator]


def fetch(run: Run, target_id: str) -> None:
    """Pull an image taken as published (not built here) once something on this machine needs it
    (a run image's pair test needs its dev image), by what its record says was pushed."""
    with run.one_at_a_time:
        state = run.store.get(target_id)
        if not (state.passed and state.digest and state.pushed) or run.engine.image_id(state.image_id):
            return
        reference = f"{next(iter(state.pushed)).rsplit(':', 1)[0]}@{state.digest}"  # this platform's
        with run.log.step(target_id, f"pull {reference}"):
            run.engine.pull(reference, run.registry.auth)  # the same image id: a registry keeps the config as it is


def plan(run: Run) -> dict[str, Decision]:
    """What `all` would do to each target and why, reading the engine and the registry only."""
    try:
        engine: Engine | None = run.engine
    except HostError:
        engine = None  # no engine: nothing is built, no base is pulled
    rendered = render_stage(run, write=False)
    return decide_stage(run, identify_stage(run, rendered, engine), engine, record=False)


def execute(run: Run, command: str, *, compare_fat: bool = False, by_digest: bool = False) -> Outcomes:
    """Run command's stages over run's targets; what they did, image by image. `report` only
    writes the table, but with compare_fat, which builds the fat comparators first; by_digest,
    `push` and `all` push each image by digest and leave the tags to `index`."""
    if command == "report" and not compare_fat:
        report_stage(run)
        return Outcomes()
    if command == "index":
        return Outcomes(tuple(assemble(run)))
    rendered = render_stage(run)
    if command == "render":
        return Outcomes()
    if command in ("push", "all"):
        run.start_registry()  # before deciding: what it serves decides what is published
    decisions = decide_stage(run, identify_stage(run, rendered, run.engine), run.engine, record=True)
    if command == "report":
        decisions = {key: decision for key, decision in decisions.items() if decision.target.comparator}
    outcomes = Outcomes()
    if command in ("build", "all", "report"):
        outcomes += build_stage(run, decisions)
    if command in ("test", "all"):
        outcomes += test_stage(run, decisions, outcomes)
    if command in ("push", "all"):
        outcomes += publish_stage(run, decisions, outcomes, tags=not by_digest)
    report_stage(run)
    return outcomes
