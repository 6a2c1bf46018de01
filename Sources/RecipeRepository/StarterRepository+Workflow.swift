// The starter repository's GitHub Actions workflow: labforge's own matrix (plan → build per recipe → catalog → pages),
// run in the labforge container image instead of a labforge checkout.
extension StarterRepository {
    var workflow: String {
        """
        # Builds every recipe in recipes/ (one job each, KVM on) with the labforge container image, pushes the images to
        # GHCR on pushes to main, merges the per-job catalogs into one catalog.json + index.html for GitHub Pages.
        # Pin the labforge image you tested; it carries labforge, the Swift toolchain that compiles the recipes, libguestfs.
        name: images

        on:
          push:
            branches: [main]
          pull_request:
          workflow_dispatch:

        permissions:
          contents: read

        concurrency:
          group: images-${{ github.ref }}
          cancel-in-progress: ${{ github.event_name == 'pull_request' }}

        env:
          # The images go to ghcr.io/<owner>/labs/<recipe>:<version> (owner lower-cased in the step, as GHCR requires).
          REGISTRY_PREFIX_SUFFIX: labs

        defaults:
          run:
            shell: bash

        jobs:
          plan:
            name: list recipes
            runs-on: ubuntu-latest
            timeout-minutes: 20
            container:
              image: \(labforgeImage)
              # The compiled recipe program runs under bubblewrap: its namespaces need SYS_ADMIN under Docker's
              # seccomp profile and no AppArmor confinement (docker-default forbids mount).
              options: --cap-add SYS_ADMIN --security-opt apparmor=unconfined
            outputs:
              recipes: ${{ steps.list.outputs.recipes }}
            steps:
              - uses: actions/checkout@v4

              - name: List recipes (the build matrix)
                id: list
                run: |
                  set -euo pipefail
                  # The checkout belongs to the runner's user, not the container's root: trust it, or git (and so
                  # labforge, which reads the commit for the catalog) refuses it as another user's repository.
                  git config --global --add safe.directory "$GITHUB_WORKSPACE"
                  # Recipe names are DNS labels: the first column of `labforge list`, no quoting needed.
                  names=$(labforge list recipes | awk '{print $1}')
                  recipes="[$(printf '"%s",' $names | sed 's/,$//')]"
                  [ "$recipes" != "[]" ] || { echo "::error::no recipes to build"; exit 1; }
                  echo "recipes=$recipes" >> "$GITHUB_OUTPUT"
                  echo "Recipes: $recipes" >> "$GITHUB_STEP_SUMMARY"

          build:
            name: build ${{ matrix.recipe }}
            needs: plan
            runs-on: ubuntu-latest
            timeout-minutes: 150
            permissions:
              contents: read
              packages: write
            strategy:
              fail-fast: false
              matrix:
                recipe: ${{ fromJSON(needs.plan.outputs.recipes) }}
            container:
              image: \(labforgeImage)
              # KVM for the appliance and the verification boot; SYS_ADMIN for mmdebstrap while bootstrapping a base.
              options: --device /dev/kvm --cap-add SYS_ADMIN --security-opt apparmor=unconfined
            steps:
              - uses: actions/checkout@v4

              - name: Cache labforge's base images, step cache and compiled recipes (per recipe)
                uses: actions/cache@v4
                with:
                  path: /cache
                  key: labforge-${{ matrix.recipe }}-${{ hashFiles('recipes/**') }}
                  restore-keys: |
                    labforge-${{ matrix.recipe }}-

              - name: Log in to ghcr.io
                if: github.event_name == 'push' && github.ref == 'refs/heads/main'
                run: |
                  set -euo pipefail
                  mkdir -p "$HOME/.docker"
                  auth=$(printf '%s:%s' "$GITHUB_ACTOR" "$GITHUB_TOKEN" | base64 -w0)
                  printf '{"auths": {"ghcr.io": {"auth": "%s"}}}\\n' "$auth" > "$HOME/.docker/config.json"
                env:
                  GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}

              - name: labforge build ${{ matrix.recipe }}
                env:
                  RECIPE: ${{ matrix.recipe }}
                  OWNER: ${{ github.repository_owner }}
                  PUSH_TO_REGISTRY: ${{ github.event_name == 'push' && github.ref == 'refs/heads/main' }}
                run: |
                  set -euo pipefail
                  git config --global --add safe.directory "$GITHUB_WORKSPACE"  # the runner's checkout (see the plan job)
                  prefix="ghcr.io/${OWNER,,}/${REGISTRY_PREFIX_SUFFIX}"
                  destination=(--reference-prefix "$prefix")
                  if [ "$PUSH_TO_REGISTRY" = true ]; then
                    destination=(--push "$prefix" --authfile "$HOME/.docker/config.json")
                  fi
                  status=0
                  labforge build recipes "$RECIPE" --output images --json --cache-dir /cache/labforge "${destination[@]}" \\
                    > "$RUNNER_TEMP/build-result.json" || status=$?
                  install -D -m 0644 "$RUNNER_TEMP/build-result.json" "images/$RECIPE/build-result.json"
                  { echo "### $RECIPE"; echo '```json'; cat "$RUNNER_TEMP/build-result.json"; echo '```'; } >> "$GITHUB_STEP_SUMMARY"
                  exit "$status"

              - name: Upload images/${{ matrix.recipe }}/ (without the disk) and this job's catalog
                if: always()
                uses: actions/upload-artifact@v4
                with:
                  name: image-${{ matrix.recipe }}
                  path: |
                    images/${{ matrix.recipe }}/
                    images/catalog.json
                    !images/**/disk.qcow2
                    !images/**/oci/**
                  if-no-files-found: warn
                  retention-days: 7

          catalog:
            name: merge the catalog
            needs: [plan, build]
            if: ${{ !cancelled() && needs.plan.result == 'success' }}
            runs-on: ubuntu-latest
            timeout-minutes: 20
            container:
              image: \(labforgeImage)
            steps:
              - uses: actions/download-artifact@v4
                with:
                  pattern: image-*
                  path: artifacts

              - name: labforge catalog merge
                run: |
                  set -euo pipefail
                  shopt -s nullglob
                  built=(artifacts/image-*/catalog.json)
                  [ ${#built[@]} -gt 0 ] || { echo "::error::no build job left a catalog.json"; exit 1; }
                  labforge catalog merge "${built[@]}" --catalog site/catalog.json --ignore-existing --json

              - uses: actions/upload-pages-artifact@v3
                if: github.event_name == 'push' && github.ref == 'refs/heads/main'
                with:
                  path: site/

          pages:
            name: publish the catalog to GitHub Pages
            needs: catalog
            if: ${{ !cancelled() && needs.catalog.result == 'success' && github.event_name == 'push' && github.ref == 'refs/heads/main' }}
            runs-on: ubuntu-latest
            timeout-minutes: 10
            permissions:
              pages: write
              id-token: write
            environment:
              name: github-pages
              url: ${{ steps.deployment.outputs.page_url }}
            steps:
              - name: Deploy
                id: deployment
                uses: actions/deploy-pages@v4

        """
    }
}
