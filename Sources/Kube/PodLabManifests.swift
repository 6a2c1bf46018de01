// The manifests of a pod lab: Deployment, Service, NetworkPolicy and Role, the same shape of access as a VM lab.
import Foundation
import LabforgeRecipe

/// Manifests for one pod lab made from a recipe's container image.
///
/// - Deployment (one replica, `Recreate`): the image pinned by digest, running as its user with `runAsNonRoot`,
///   `allowPrivilegeEscalation: false`, all capabilities dropped, seccomp `RuntimeDefault`, no service account
///   token; the credentials Secret (`<recipe>-credentials`, the VM's keys) mounted read-only at
///   ``BootCredentials/runtimeDirectory`` with mode 0440 and `fsGroup` so only the lab user reads it; TCP
///   readiness and liveness probes on the first agent (the agents answer 401 without credentials);
///   requests and limits from the recipe's minimum CPUs and memory; `nodeSelector: kubernetes.io/arch` for a
///   single-architecture image (``nodeSelector``).
/// - Service: the agents' ports by name, as for a VM.
/// - NetworkPolicy: by default no ingress at all (the build writes no route, as for a VM lab: ``RouteRule``); with a
///   proxy namespace given, ingress only from it on the agents' ports; egress DNS to kube-system and the internet
///   outside the cluster and metadata ranges (``NetworkIsolation``'s defaults).
/// - Role: get the Deployment, scale it (stop = 0, start = 1), read the pod's log: the pod's start/stop/console.
public struct PodLabManifests: Sendable {
    /// The recipe.
    public var recipe: Recipe
    /// The recipe's container plan.
    public var plan: ContainerPlan
    /// The pinned image reference.
    public var image: String
    /// The image user's uid (and group).
    public var uid: Int
    /// Namespace of the proxy pods that may reach the agents' ports; nil (the default): nothing may connect.
    public var ingressNamespace: String?
    /// The recipe's fingerprint, as an annotation of the Deployment.
    public var recipeFingerprint: String?
    /// The platforms ``image`` holds, in index order: one for a single-architecture image, several for an index.
    public var architectures: [Architecture]

    /// Creates the manifests.
    /// - Parameters:
    ///   - recipe: The recipe.
    ///   - plan: Its container plan.
    ///   - image: `registry/repository:tag@sha256:…`.
    ///   - uid: The image user's uid (the group is the same number, as useradd makes it).
    ///   - ingressNamespace: The namespace of the proxy in front of the lab (a Gateway's or an ingress controller's);
    ///     nil, the default, admits nobody until a route and its proxy are chosen.
    ///   - recipeFingerprint: The recipe's fingerprint, if known.
    ///   - architectures: The platforms `image` holds (an index's); nil: the recipe's `architectures` (as built for one
    ///     architecture, that one).
    public init(
        recipe: Recipe, plan: ContainerPlan, image: String, uid: Int, ingressNamespace: String? = nil,
        recipeFingerprint: String? = nil, architectures: [Architecture]? = nil
    ) {
        self.recipeFingerprint = recipeFingerprint
        self.architectures = architectures ?? recipe.architectures
        self.recipe = recipe
        self.plan = plan
        self.image = image
        self.uid = uid
        self.ingressNamespace = ingressNamespace
    }

    /// The lab's object name (`debian-desktop-pod`).
    public var name: String { recipe.name + "-pod" }
    /// The Secret the Deployment mounts (the same one a VM lab of the recipe uses).
    public var secretName: String { recipe.name + "-credentials" }

    /// The Deployment's node selector: `kubernetes.io/arch` of a single-architecture image (amd64 too: on a mixed
    /// cluster an amd64 image would otherwise be scheduled on an arm64 node and fail with an exec format error; every
    /// kubelet sets the label, so an amd64-only cluster schedules as before); nil for a multi-architecture image, which
    /// runs on any of its platforms' nodes.
    public var nodeSelector: StringMap? {
        architectures.count == 1 ? ["kubernetes.io/arch": architectures[0].rawValue] : nil
    }

    private var labels: StringMap {
        ["app.kubernetes.io/name": recipe.name, "app.kubernetes.io/instance": name, "app.kubernetes.io/managed-by": "labforge",
         "labforge.dev/kind": BuildTarget.container.rawValue]
    }

    /// The Deployment.
    public var deployment: Deployment {
        let restricted = SeccompProfile(type: "RuntimeDefault")
        let probePort = plan.ports.first?.port ?? 7681
        let probe = TCPProbe(tcpSocket: .init(port: probePort), initialDelaySeconds: 3, periodSeconds: 10, failureThreshold: 3)
        let memory = "\(recipe.minimumMemoryMiB)Mi"
        let container = Container(
            name: "lab", image: image, imagePullPolicy: "IfNotPresent",
            ports: plan.ports.map { ContainerPort(name: $0.name, containerPort: $0.port, protocol: "TCP") },
            securityContext: ContainerSecurityContext(
                allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: Capabilities(drop: ["ALL"]), seccompProfile: restricted),
            volumeMounts: [VolumeMount(name: "credentials", mountPath: BootCredentials.runtimeDirectory, readOnly: true)],
            readinessProbe: probe, livenessProbe: TCPProbe(tcpSocket: .init(port: probePort), initialDelaySeconds: 30, periodSeconds: 20, failureThreshold: 6),
            resources: Resources(requests: ["cpu": "\(recipe.minimumCPUs)", "memory": memory], limits: ["memory": memory]))
        return Deployment(
            metadata: ObjectMeta(name: name, labels: labels, annotations: recipeFingerprint.map { ["labforge.dev/recipe-fingerprint": $0] } ?? [:]),
            spec: .init(
                replicas: 1, selector: LabelSelector(matchLabels: ["app.kubernetes.io/instance": name]), strategy: .init(type: "Recreate"),
                template: .init(
                    metadata: ObjectMeta(labels: labels),
                    spec: PodSpec(
                        securityContext: PodSecurityContext(runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, fsGroup: uid, seccompProfile: restricted),
                        automountServiceAccountToken: false, terminationGracePeriodSeconds: 15, containers: [container],
                        volumes: [Volume(name: "credentials", secret: .init(secretName: secretName, defaultMode: 0o440))],
                        nodeSelector: nodeSelector))))
    }

    /// The Service.
    public var service: Service {
        Service(
            metadata: ObjectMeta(name: name, labels: labels),
            spec: .init(
                type: "ClusterIP", selector: ["app.kubernetes.io/instance": name],
                ports: plan.ports.map { .init(name: $0.name, protocol: "TCP", port: $0.port, targetPort: $0.port) }))
    }

    /// The NetworkPolicy.
    public var networkPolicy: NetworkPolicy {
        let defaults = NetworkIsolation()
        return NetworkPolicy(
            metadata: ObjectMeta(name: name + "-isolation", labels: labels),
            spec: .init(
                podSelector: LabelSelector(matchLabels: ["app.kubernetes.io/instance": name]), policyTypes: ["Ingress", "Egress"],
                ingress: ingressNamespace.map { proxy in
                    [.init(from: [.namespace([NetworkPolicy.namespaceNameLabel: proxy])], ports: plan.ports.map { .init(protocol: "TCP", port: $0.port) })]
                },
                egress: [
                    .init(to: [.namespace([NetworkPolicy.namespaceNameLabel: "kube-system"])], ports: [.init(protocol: "UDP", port: 53), .init(protocol: "TCP", port: 53)]),
                    .init(to: [.ipBlock(IPv4Range.everything.description, except: defaults.deniedRanges.map(\.description))], ports: nil),
                ]))
    }

    /// The Role a student (or portal) is bound to.
    public var role: Role {
        Role(
            metadata: ObjectMeta(name: name + "-access", labels: labels),
            rules: [
                PolicyRule(apiGroups: ["apps"], resources: ["deployments"], resourceNames: [name], verbs: ["get"]),
                PolicyRule(apiGroups: ["apps"], resources: ["deployments/scale"], resourceNames: [name], verbs: ["get", "update", "patch"]),
            ])
    }

    /// The files, each with a header, and a kustomization listing them.
    /// - Returns: File name → YAML.
    /// - Throws: A YAML encoding error.
    public func files() throws -> [ManifestFile] {
        let header = "# Generated by labforge for the pod lab \(recipe.name) \(recipe.version); regenerate with `labforge build --target container`.\n# Image: \(image)\n# Needs the Secret \(secretName) (keys \(BootCredentials.terminalKey), \(BootCredentials.desktopKey)).\n"
        var files: [ManifestFile] = []
        func add(_ file: String, _ objects: [any Encodable]) throws {
            files.append(ManifestFile(name: file, contents: header + (try ManifestSet.yaml(objects))))
        }
        try add("deployment.yaml", [deployment])
        try add("service.yaml", [service])
        try add("networkpolicy.yaml", [networkPolicy])
        try add("access.yaml", [role])
        let names = files.map(\.name)
        files.append(ManifestFile(name: "kustomization.yaml", contents: header + "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n" + names.map { "- \($0)\n" }.joined()))
        return files
    }

    /// Writes the files into `directory` (created if needed).
    /// - Parameter directory: The output directory.
    /// - Throws: ``KubeError``.
    public func write(to directory: String) throws {
        _ = try ManifestWriter.write(try files(), to: directory)
    }
}
