// An anonymous workshop: one VirtualMachinePool, a Secret per VM (index appended by the pool), routes per VM.
import Kube

extension ClassBuilder {
    func pool(size: Int, credentials: [String: LabCredentials]) throws -> PoolManifests {
        let poolName = Self.poolName(image)
        let names = ClassManifests.poolVirtualMachineNames(image: image, size: size)
        // The template names `<pool>-credentials`; with appendIndexToSecretRefs VM i mounts `<pool>-credentials-<i>`.
        let secretBase = "\(poolName)-credentials"
        try check(
            [("VirtualMachinePool", poolName), ("Secret", "\(secretBase)-\(size - 1)"), ("NetworkPolicy", "\(poolName)-isolation")]
                + agentNames(names[size - 1]),
            service: names[size - 1], student: nil, seat: names[size - 1])
        let poolBuilder = seatBuilder(session: poolName, vm: poolName, namespace: namespace, pathPrefix: pathPrefix(poolName), secret: secretBase)
        var labels = poolBuilder.sessionLabels
        labels[Self.classLabel] = namespace
        labels[Self.poolLabel] = poolName

        var vm = try virtualMachine(poolBuilder, diskName: "\(poolName)-root")
        // Nobody can start a pool VM by hand (there are no identities), so they run; per-VM paths differ. One that powers
        // itself off (--stop-on-poweroff, or an image with a LabLifetime) stays off: RerunOnFailure.
        vm.spec.runStrategy = (settings.stopOnPowerOff || image.stopsItself ? RunStrategy.always.keepingGuestPowerOff : .always).rawValue
        vm.spec.template.metadata.labels?[Self.classLabel] = namespace
        vm.spec.template.metadata.labels?[Self.poolLabel] = poolName
        var annotations = poolBuilder.imageAnnotations
        if let header = vm.metadata.annotations?["labforge.dev/auth-header"] { annotations["labforge.dev/auth-header"] = header }
        let pool = VirtualMachinePool(
            metadata: ObjectMeta(name: poolName, namespace: namespace, labels: labels, annotations: poolBuilder.imageAnnotations),
            replicas: size, selector: LabelSelector(matchLabels: [Self.poolLabel: poolName]),
            template: ObjectMeta(labels: labels, annotations: annotations), spec: vm.spec
        )

        var secrets: [Secret] = []
        var services: [Service] = []
        var ingresses: [Ingress] = []
        var httpRoutes: [HTTPRoute] = []
        var urls: [[AgentKind: String]] = []
        for (index, name) in names.enumerated() {
            guard let seat = credentials[name] else { throw ClassError.roster("no credentials for pool VM '\(name)'") }
            var seatLabels = labels
            seatLabels[Self.seatLabel] = name
            secrets.append(Secret(metadata: ObjectMeta(name: "\(secretBase)-\(index)", namespace: namespace, labels: seatLabels), stringData: seat.secretData))
            let prefix = pathPrefix(name)
            let builder = seatBuilder(session: name, vm: name, namespace: namespace, pathPrefix: prefix, secret: secretBase)
            let routes = self.routes(builder, seat: name, identity: nil, labels: seatLabels)
            if var service = routes.service {
                // Every pool VM carries the same template labels; KubeVirt labels each VM's pod with its name.
                service.spec.selector = [Self.virtualMachineNameLabel: name]
                services.append(service)
            }
            ingresses += routes.ingresses
            if let route = routes.httpRoute { httpRoutes.append(route) }
            urls.append(self.urls(prefix: prefix))
        }
        return PoolManifests(
            pool: pool, secrets: secrets,
            networkPolicy: poolBuilder.isolationPolicy(
                name: "\(poolName)-isolation", labels: labels, selector: [Self.poolLabel: poolName], rule: rule, isolation: classSettings.isolation),
            services: services, ingresses: ingresses, httpRoutes: httpRoutes, virtualMachineNames: names, urls: urls
        )
    }
}
